package factory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/atomicfile"
)

// profilesCacheTTL is how long completion trusts its list of profile names.
const profilesCacheTTL = 5 * time.Minute

// completionTimeout bounds a completion that has to ask the TVM: a shell waits for it.
const completionTimeout = 3 * time.Second

// profileChoice is one profile as completion offers it.
type profileChoice struct {
	Name    string `json:"name"`
	Allowed bool   `json:"allowed"`
	About   string `json:"about,omitempty"`
}

// CompleteProfile completes a command's first argument with the names of the TVM's
// profiles, those the caller may use now first, from a list cached for five minutes
// (per TVM URL, base profile and base access key) so that a shell's Tab costs a TVM call
// at most that often. Any failure completes nothing, silently: a shell is no place for
// an error message.
func (f *Factory) CompleteProfile(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault // exec's command and its arguments
	}
	s, err := f.Settings("", 0)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	sum := sha256.Sum256([]byte(s.RemoteServer + "\x00" + s.BaseProfile + "\x00" + f.Getenv("AWS_PROFILE") + "\x00" + f.Getenv("AWS_ACCESS_KEY_ID")))
	var path string
	if dir, err := f.CacheDir(); err == nil {
		path = filepath.Join(dir, "profiles-"+hex.EncodeToString(sum[:8])+".json")
	}
	choices, ok := readChoices(path, f.Now())
	if !ok {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, completionTimeout)
		defer cancel()
		remote, err := f.connect(ctx, s)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ps, err := remote.Client.Profiles(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		choices = choices[:0]
		for _, p := range ps.Profiles {
			choices = append(choices, profileChoice{Name: p.Name, Allowed: p.Allowed, About: p.Description})
		}
		writeChoices(path, choices)
	}
	var out []cobra.Completion
	for _, allowed := range []bool{true, false} {
		for _, c := range choices {
			if c.Allowed != allowed {
				continue
			}
			about := c.About
			if !allowed {
				about = "denied now"
			}
			out = append(out, cobra.CompletionWithDesc(c.Name, about))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

type choicesFile struct {
	Written  time.Time       `json:"written"`
	Profiles []profileChoice `json:"profiles"`
}

func readChoices(path string, now time.Time) ([]profileChoice, bool) {
	if path == "" {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var cf choicesFile
	if json.Unmarshal(data, &cf) != nil || now.Sub(cf.Written) > profilesCacheTTL || cf.Written.After(now) {
		return nil, false
	}
	return cf.Profiles, true
}

// writeChoices stores the list, privately (profile names say what roles exist), and
// ignores failures: completion works without its cache.
func writeChoices(path string, choices []profileChoice) {
	if path == "" {
		return
	}
	data, err := json.Marshal(choicesFile{Written: time.Now(), Profiles: choices})
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	_ = atomicfile.Write(path, data)
}
