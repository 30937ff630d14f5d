package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

// fmtNotFormatted is fmt --check's exit status when a file is not in
// canonical form, terraform fmt -check's: 1 stays for errors.
const fmtNotFormatted = 3

// stdinName is how standard input is named in messages and diffs.
const stdinName = "<stdin>"

type fmtOptions struct {
	files []string
	check bool
	diff  bool
}

func newFmtCommand(d deps) *cobra.Command {
	var opts fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [OPTIONS] [FILE|DIR|-]...",
		Short: "Rewrite policy files in canonical form",
		Long: "Rewrite policy files in canonical form, as terraform fmt does for its HCL:\n" +
			"indentation, spacing, and the = signs of adjacent attributes aligned. Comments\n" +
			"are kept. Only the syntax is checked: validate says whether a policy is right.\n\n" +
			"Files that change are rewritten in place (atomically, keeping their mode) and\n" +
			"named on stdout. A DIR stands for its *.hcl files; - formats standard input to\n" +
			"standard output. Without arguments, fmt formats the policy check and prune\n" +
			"would use ($" + policyfile.Env + ", then $DOCKER_CONFIG/shaper/policy.hcl);\n" +
			"the embedded default has no file to format.\n\n" +
			"With --check, nothing is written: fmt names the files that are not formatted\n" +
			"and exits 3 when there is any (1 means an error: a file unreadable or not HCL).",
		Args: cli.RequiresMinArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			return runFmt(cmd.Context(), d, opts)
		},
		// Policy files, and directories to find them in.
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"hcl"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	flags := cmd.Flags()
	flags.BoolVar(&opts.check, "check", false, "Write nothing; exit 3 when a file is not formatted, naming it")
	flags.BoolVar(&opts.diff, "diff", false, "Print the changes as a unified diff")
	return cmd
}

func runFmt(_ context.Context, d deps, opts fmtOptions) error {
	files := opts.files
	if len(files) == 0 {
		src, err := d.lookup(policyFlag{}).Find()
		if err != nil {
			return err
		}
		if src.Path == "" {
			_, err := fmt.Fprintf(d.cli.Err(), "Nothing to format: the policy in use is the %s, which is built in "+
				"(no $%s, no $DOCKER_CONFIG/shaper/policy.hcl). Name a file: docker shaper fmt FILE\n",
				policyfile.EmbeddedName, policyfile.Env)
			return err
		}
		files = []string{src.Path}
	}
	var (
		failed   []string
		unformed []string
	)
	for _, arg := range files {
		paths, err := fmtPaths(arg)
		if err != nil {
			fmt.Fprintf(d.cli.Err(), "%s: %v\n", arg, err)
			failed = append(failed, arg)
			continue
		}
		for _, p := range paths {
			changed, err := fmtOne(d, p, opts)
			switch {
			case err != nil:
				if !errors.Is(err, errReported) {
					fmt.Fprintf(d.cli.Err(), "%s: %v\n", p, err)
				}
				failed = append(failed, p)
			case changed:
				unformed = append(unformed, p)
			}
		}
	}
	switch {
	case len(failed) > 0:
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("%s could not be formatted: %s",
			render.Plural(len(failed), "file", "files"), strings.Join(failed, ", "))}
	case opts.check && len(unformed) > 0:
		return cli.StatusError{StatusCode: fmtNotFormatted, Status: fmt.Sprintf(
			"%s not in canonical form: run docker shaper fmt %s",
			render.Plural(len(unformed), "file is", "files are"), strings.Join(quoteArgs(unformed), " "))}
	}
	return nil
}

// errReported is an error whose diagnostics were already printed.
var errReported = errors.New("reported")

// fmtPaths are the files an argument stands for: a directory's *.hcl
// files, in name order, or the argument itself.
func fmtPaths(arg string) ([]string, error) {
	if arg == "-" {
		return []string{arg}, nil
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		paths, err := filepath.Glob(filepath.Join(arg, "*.hcl"))
		if err != nil {
			return nil, err
		}
		sort.Strings(paths)
		if len(paths) == 0 {
			return nil, errors.New("the directory has no *.hcl file")
		}
		return paths, nil
	}
	return []string{arg}, nil
}

// fmtOne formats one file (or standard input, "-"), reporting whether it
// was not in canonical form. Without --check, a file that changes is
// rewritten and named on stdout; standard input is always written to
// stdout, formatted, unless --check or --diff say otherwise.
func fmtOne(d deps, path string, opts fmtOptions) (changed bool, err error) {
	name := path
	var src []byte
	if path == "-" {
		name = stdinName
		src, err = io.ReadAll(io.LimitReader(d.cli.In(), policy.MaxPolicySize+1))
	} else {
		src, err = policy.ReadFile(path)
	}
	if err != nil {
		return false, err
	}
	l := policy.NewLoader()
	out, diags := l.Format(name, src)
	if diags.HasErrors() {
		if err := render.Diagnostics(d.cli.Err(), l.Files(), diags); err != nil {
			return false, err
		}
		return false, errReported
	}
	changed = !bytes.Equal(src, out)
	if opts.diff && changed {
		if _, err := io.WriteString(d.cli.Out(), udiff.Unified(name+".orig", name, string(src), string(out))); err != nil {
			return changed, err
		}
	}
	switch {
	case path == "-":
		if !opts.check && !opts.diff {
			_, err = d.cli.Out().Write(out)
		}
		return changed, err
	case !changed:
		return false, nil
	case opts.check:
		if !opts.diff {
			_, err = fmt.Fprintln(d.cli.Out(), path)
		}
		return true, err
	}
	if err := writeFileAtomic(path, out); err != nil {
		return true, err
	}
	if !opts.diff {
		_, err = fmt.Fprintln(d.cli.Out(), path)
	}
	return true, err
}

// writeFileAtomic replaces the file at path (the file a symbolic link
// points to, not the link) with data: a temporary file in the same
// directory with the file's mode (and, where the system has them, owner
// and group), synced, then renamed over it. A crash leaves the old file or
// the new one, never half of each.
func writeFileAtomic(path string, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	f, err := os.CreateTemp(dir, "."+filepath.Base(real)+".fmt-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	_, werr := f.Write(data)
	merr := f.Chmod(fi.Mode().Perm())
	keepOwner(f, fi)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, merr, serr, cerr); err != nil {
		return err
	}
	return os.Rename(tmp, real)
}

// quoteArgs quotes the arguments a shell would split.
func quoteArgs(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return q
}
