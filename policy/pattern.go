package policy

// CompileRefGlob compiles a REPOSITORY:TAG glob.
func CompileRefGlob(p string) (Matcher, error) { panic("STUB") }

// CompileNameGlob compiles a container, volume or network name glob.
func CompileNameGlob(p string) (Matcher, error) { panic("STUB") }

// CompileRegex compiles an RE2 pattern anchored as ^(?:p)$.
func CompileRegex(p string) (Matcher, error) { panic("STUB") }

// NormalizeRef turns a reference into its familiar form, as docker image ls shows it.
func NormalizeRef(ref string) string { panic("STUB") }
