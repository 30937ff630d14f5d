package commands

import (
	"context"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/spf13/cobra"
)

// addCompletions gives the shell completion of values, not only of names,
// to every command of root that has the flag or the argument:
// policy files for --policy and validate, formats for --format, example
// times for --now, terms for --filter (with the policy's rule names), and
// the daemon's objects for explain.
func addCompletions(root *cobra.Command, d deps) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		flags := c.Flags()
		if flags.Lookup("policy") != nil {
			_ = c.RegisterFlagCompletionFunc("policy", completePolicyFiles)
		}
		if flags.Lookup("format") != nil {
			_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
				[]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
		}
		if flags.Lookup("now") != nil {
			_ = c.RegisterFlagCompletionFunc("now", completeNow(d))
		}
		if flags.Lookup("filter") != nil {
			_ = c.RegisterFlagCompletionFunc("filter", completeFilter(d))
		}
		switch c.Name() {
		case "validate":
			// validate takes several files.
			c.ValidArgsFunction = completePolicyFiles
		case "explain":
			c.ValidArgsFunction = completeObjects(d)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completePolicyFiles offers *.hcl files (and directories to reach them).
func completePolicyFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"hcl"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeNow offers --now forms: relative durations, and today's and a
// week's dates.
func completeNow(d deps) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		today := d.clock().UTC()
		return []string{
			"+1d\tone day from now",
			"+7d\ta week from now",
			"+30d\tthirty days from now",
			"-1d\tone day ago",
			"+12h\ttwelve hours from now",
			today.Format(time.DateOnly) + "\ttoday, midnight UTC",
			today.AddDate(0, 0, 7).Format(time.DateOnly) + "\ta week from today",
		}, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFilter offers KEY= first, then the key's values: kinds,
// actions, and the rules of the policy the command would use (--policy
// when given).
func completeFilter(d deps) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		key, _, ok := strings.Cut(toComplete, "=")
		if !ok {
			var keys []string
			for _, k := range policy.FilterKeys {
				keys = append(keys, k+"=")
			}
			return keys, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
		}
		var values []string
		switch key {
		case policy.FilterKind:
			values = policy.FilterKinds
		case policy.FilterAction:
			values = policy.FilterActions
		case policy.FilterRule:
			var pf policyFlag
			if f := c.Flags().Lookup("policy"); f != nil {
				if p, ok := f.Value.(*policyFlag); ok {
					pf = *p
				}
			}
			if src, err := d.lookup(pf).Find(); err == nil {
				if lp, err := policyfile.Load(src); err == nil {
					values = policy.RuleNames(lp.Policy)
				}
			}
		}
		out := make([]string, 0, len(values))
		for _, v := range values {
			out = append(out, key+"="+v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeObjects offers the daemon's images, containers, volumes and
// networks; nothing when it cannot be reached in a few seconds.
func completeObjects(d deps) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return docker.ObjectNames(ctx, d.cli.Client()), cobra.ShellCompDirectiveNoFileComp
	}
}
