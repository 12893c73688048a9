package site

// Folders of the site, relative to the repository root.
const (
	Dir          = "site"
	PublicDir    = "site/public"
	ContentDir   = "site/content"
	ReferenceDir = "site/content/reference"
	ArtifactsDir = "site/test-artifacts"
	TestsDir     = "site/tests"
)

// Inputs of the generated pages, relative to the repository root.
const (
	WireFile        = "lambda/wire/wire.go"
	ErrorFixesFile  = "site/data/errorfixes.json"
	ChangelogFile   = "CHANGELOG.md"
	TerraformModDir = "terraform/modules"
)
