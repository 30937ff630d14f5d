package policy_test

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/docker-shaper/docker-shaper/policy"
)

func ExampleLoader_Load() {
	src := []byte(`
image "pull requests" {
  match      = ["ghcr.io/acme/**:pr-*"]
  keep       = 3
  older_than = "7d"
}
`)
	l := policy.NewLoader()
	p, diags := l.Load("ci.hcl", src)
	if diags.HasErrors() {
		hcl.NewDiagnosticTextWriter(os.Stdout, l.Files(), 0, false).WriteDiagnostics(diags)
		return
	}
	r := p.Images[0]
	fmt.Println(r.Name(), r.Match, r.Keep, policy.FormatDuration(r.OlderThan))
	fmt.Println(r.Match[0].Match("ghcr.io/acme/api:pr-12"))
	// Output:
	// image.pull requests [ghcr.io/acme/**:pr-*] 3 7d
	// true
}

func ExampleLoader_Load_diagnostics() {
	src := []byte(`
image "pull requests" {
  match      = ["ghcr.io/acme/api"]
  older_than = "1mo"
}
`)
	l := policy.NewLoader()
	p, diags := l.Load("ci.hcl", src)
	fmt.Println(p == nil)
	hcl.NewDiagnosticTextWriter(os.Stdout, l.Files(), 0, false).WriteDiagnostics(diags)
	// Output:
	// true
	// Error: Pattern has no tag
	//
	//   on ci.hcl line 3, in image "pull requests":
	//    3:   match      = ["ghcr.io/acme/api"]
	//
	// Image patterns are REPOSITORY:TAG, matched against references as docker image ls shows them. Write "ghcr.io/acme/api:*" for every tag, or "ghcr.io/acme/api:latest" for one.
	//
	// Error: Invalid duration
	//
	//   on ci.hcl line 4, in image "pull requests":
	//    4:   older_than = "1mo"
	//
	// Duration "1mo": months and years are ambiguous; write days or weeks instead, e.g. "30d" or "52w".
}

func ExampleParseDuration() {
	for _, s := range []string{"90m", "36h", "7d", "2w", "1d12h", "1mo"} {
		d, err := policy.ParseDuration(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "=", d, "=", policy.FormatDuration(d))
	}
	// Output:
	// 90m = 1h30m0s = 1h30m
	// 36h = 36h0m0s = 1d12h
	// 7d = 168h0m0s = 7d
	// 2w = 336h0m0s = 14d
	// 1d12h = 36h0m0s = 1d12h
	// duration "1mo": months and years are ambiguous; write days or weeks instead, e.g. "30d" or "52w"
}

func ExampleParseSize() {
	for _, s := range []string{"500MB", "20GB", "1.5GB", "1GiB", "0", "20G"} {
		n, err := policy.ParseSize(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "=", n)
	}
	// Output:
	// 500MB = 500000000
	// 20GB = 20000000000
	// 1.5GB = 1500000000
	// 1GiB = 1073741824
	// 0 = 0
	// size "20G" is ambiguous: write "20GB" (decimal, as docker system df prints it) or "20GiB"
}

func ExampleCompileRefGlob() {
	m, err := policy.CompileRefGlob("ghcr.io/acme/**:pr-*")
	if err != nil {
		panic(err)
	}
	for _, ref := range []string{"ghcr.io/acme/api:pr-12", "ghcr.io/acme/team/web:pr-3", "ghcr.io/acme/api:v1", "nginx:pr-1"} {
		fmt.Println(ref, m.Match(ref))
	}

	// * stays within a path segment.
	m, _ = policy.CompileRefGlob("*:*")
	fmt.Println(m.Match("nginx:1.27"), m.Match("acme/api:1"))

	// A pattern needs a tag part.
	_, err = policy.CompileRefGlob("localhost:5000/app")
	fmt.Println(err)
	// Output:
	// ghcr.io/acme/api:pr-12 true
	// ghcr.io/acme/team/web:pr-3 true
	// ghcr.io/acme/api:v1 false
	// nginx:pr-1 false
	// true false
	// pattern "localhost:5000/app" has no tag part: write REPOSITORY:TAG, e.g. "localhost:5000/app:*" for every tag or "localhost:5000/app:latest" for one
}

func ExampleNormalizeRef() {
	fmt.Println(policy.NormalizeRef("docker.io/library/nginx:1.27"))
	fmt.Println(policy.NormalizeRef("docker.io/acme/api:2"))
	fmt.Println(policy.NormalizeRef("ghcr.io/acme/api:pr-12"))
	// Output:
	// nginx:1.27
	// acme/api:2
	// ghcr.io/acme/api:pr-12
}
