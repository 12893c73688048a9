package docs

import (
	"regexp"
	"strings"
)

// flagRE finds flag names in help prose, like --params or --principal-account.
var flagRE = regexp.MustCompile(`--[a-z][a-z0-9-]*`)

// proseEscaper escapes what Markdown would otherwise read as markup in help prose.
// Help texts are written for a terminal, where ~/.aws, AWS_PROFILE or "Ctrl-\" mean
// themselves.
var proseEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `~`, `\~`, `#`, `\#`, `|`, `\|`,
	// Hugo's typographer turns "--" into an en dash.
	`--`, `\-\-`,
)

// helpMarkdown turns a command's Long text, written for a terminal, into Markdown
// that renders the same in Hugo and in man pages: runs of indented lines (examples,
// config snippets, tables) become code blocks, flag names become code, and
// everything else is escaped so it reads literally.
func helpMarkdown(long string) string {
	lines := strings.Split(long, "\n")
	var out []string
	for i := 0; i < len(lines); {
		if !indented(lines[i]) {
			out = append(out, escapeProse(lines[i]))
			i++
			continue
		}
		j := i
		for j < len(lines) && indented(lines[j]) {
			j++
		}
		block := dedent(lines[i:j])
		// Blank lines around the block keep it apart from the paragraphs.
		if len(out) > 0 && out[len(out)-1] != "" {
			out = append(out, "")
		}
		out = append(out, "```")
		out = append(out, block...)
		out = append(out, "```")
		if j < len(lines) && lines[j] != "" {
			out = append(out, "")
		}
		i = j
	}
	return strings.Join(out, "\n")
}

func indented(line string) bool {
	return strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")
}

// dedent removes the indentation the block's lines share.
func dedent(block []string) []string {
	common := -1
	for _, l := range block {
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	out := make([]string, len(block))
	for i, l := range block {
		out[i] = l[common:]
	}
	return out
}

// escapeProse escapes one line of prose, setting flag names as code.
func escapeProse(line string) string {
	var b strings.Builder
	last := 0
	for _, m := range flagRE.FindAllStringIndex(line, -1) {
		// A flag name starts a word; "a--b" is prose.
		if m[0] > 0 && !strings.ContainsRune(" (\"'", rune(line[m[0]-1])) {
			continue
		}
		b.WriteString(proseEscaper.Replace(line[last:m[0]]))
		b.WriteString("`" + line[m[0]:m[1]] + "`")
		last = m[1]
	}
	b.WriteString(proseEscaper.Replace(line[last:]))
	return b.String()
}
