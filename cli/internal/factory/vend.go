package factory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/credcache"
	"github.com/vend-tvm/vend/cli/internal/credserver"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Vended is a profile's credentials and where the next ones come from.
type Vended struct {
	Settings    config.Settings
	Credentials aws.Credentials
	// Cached says Credentials came from the disk cache without a call to the TVM: an
	// earlier fetch was allowed, and a policy change or revocation since then shows at
	// the next fetch.
	Cached bool
	// Source asks the TVM for the profile's credentials again, connecting on its first
	// call when Credentials were cached, and stores what it gets in the disk cache.
	Source aws.CredentialsProvider
	// Profile is the vend profile, and Notices where Serve says, without --debug, that
	// a background refresh failed (once, with the cached credentials' expiry) and that
	// it recovered.
	Profile string
	Notices io.Writer
}

// CacheHelp describes the disk cache in the help of the commands that use it.
const CacheHelp = `vend keeps credentials in a private disk cache (mode 0600 files in a 0700 directory
under your user cache directory), shared by credential-process, exec, export and serve
and keyed by the TVM URL, your base identity (the access key that signs), the profile,
the duration, the --reason and the scope. Cached credentials are used while more than 16
minutes remain, so that no SDK gets them inside its refresh window; sessions shorter than 20 minutes are
used while their lifetime less 4 minutes remains, and never with 11 minutes or less.

A cache hit makes no TVM call: the TVM allowed an earlier request, and a policy change
or a revocation takes effect at the next fetch (within the credentials' lifetime, at
most an hour). --no-cache always asks the TVM and neither reads nor writes the cache.`

// hintKeyVersion tags keys made from a tvmclient.BaseHint, so that they never equal the
// keys made from a loaded access key ID (which have fewer parts).
const hintKeyVersion = "base-hint/1"

// Vend returns a profile's credentials for the commands that start anew each time
// (credential-process, exec, export, serve). They come from the disk cache while an
// entry for the same TVM, base identity, profile and duration has more than
// credcache.ServeMargin of its lifetime left; otherwise from the TVM, whose denial is
// the error, and are then stored. vf.NoCache neither reads nor writes the cache.
//
// A cache hit loads no AWS configuration and builds no client. The base identity in its
// key is a tvmclient.BaseHint, predicted from the environment and the shared files, and
// a key is made from a hint only after a full load confirmed that hint (see
// tvmSource.connect); without a hint (SSO, credential_process, roles...) the key holds
// the access key ID of the loaded base credentials, which needs the full load each time.
// Either way, credentials cached for one base identity are never served to another.
func (f *Factory) Vend(ctx context.Context, profile string, vf VendFlags) (*Vended, error) {
	s, err := f.Settings(profile, vf.Duration)
	if err != nil {
		return nil, err
	}
	if err := vf.Scope.Validate(); err != nil {
		return nil, fmt.Errorf("--scope/--scope-arn: %s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
	}
	src := &tvmSource{f: f, settings: s, profile: profile, reason: vf.Reason, scope: vf.Scope}
	if !vf.NoCache {
		src.cache = f.fileCache()
	}
	if src.cache != nil {
		if hint, ok := tvmclient.PredictBase(f.Getenv, s.BaseProfile); ok {
			if key, ok := hintKey(s, profile, src.keyed(), hint); ok {
				if creds, ok := src.cache.GetFresh(key); ok {
					return &Vended{Settings: s, Credentials: creds, Cached: true, Source: src, Profile: profile, Notices: f.IOStreams.ErrOut}, nil
				}
			}
		}
	}
	if err := src.connect(ctx); err != nil {
		return nil, err
	}
	if src.cache != nil && !src.hinted {
		if creds, ok := src.cache.GetFresh(src.key); ok {
			return &Vended{Settings: s, Credentials: creds, Cached: true, Source: src, Profile: profile, Notices: f.IOStreams.ErrOut}, nil
		}
	}
	creds, putErr, err := src.fetch(ctx)
	if err != nil {
		return nil, src.explainUnknown(ctx, err)
	}
	if putErr != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "vend: warning: cannot cache credentials: %v\n", putErr)
	}
	return &Vended{Settings: s, Credentials: creds, Source: src, Profile: profile, Notices: f.IOStreams.ErrOut}, nil
}

// explainUnknown adds to an unknown_profile answer the profile the caller probably
// meant, from the TVM's list, and where to see them all.
func (s *tvmSource) explainUnknown(ctx context.Context, err error) error {
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeUnknownProfile || s.provider == nil {
		return err
	}
	hint := "run vend profiles to list the profiles you may use"
	if list, lerr := s.provider.Client.Profiles(ctx); lerr == nil {
		names := make([]string, 0, len(list.Profiles))
		for _, p := range list.Profiles {
			names = append(names, p.Name)
		}
		if m := nearest(s.profile, names); m != "" {
			hint = "did you mean " + m + "? " + hint
		}
	}
	return fmt.Errorf("%w\n  %s", err, hint)
}

// nearest is the name closest to name by edit distance, if it is close enough to be a
// typo (at most a third of the name's length, and 2 at least), or equal but for case.
func nearest(name string, names []string) string {
	best, bestD := "", max(2, len(name)/3)+1
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by byte (profile names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fileCache returns nil, after a warning, when the disk cache cannot be used: a broken
// cache must not stop the AWS CLI, or anything else, from working.
func (f *Factory) fileCache() *credcache.FileCache {
	dir, err := f.CacheDir()
	if err != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "vend: warning: no cache directory, not caching: %v\n", err)
		return nil
	}
	cache, err := credcache.NewFileCache(dir)
	if err != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "vend: warning: not caching credentials: %v\n", err)
		return nil
	}
	return cache
}

// hintKey is the cache key for a profile's credentials signed for by hint's identity.
func hintKey(s config.Settings, profile string, extra []string, hint tvmclient.BaseHint) (string, bool) {
	u, err := tvmclient.ParseServerURL(s.RemoteServer)
	if err != nil {
		return "", false // connecting reports it
	}
	return credcache.CacheKey(append([]string{hintKeyVersion, u.String(), profile, hint.Basis, strconv.Itoa(s.Duration.Seconds())}, extra...)...), true
}

// loadedKey is the cache key for a profile's credentials signed for by the loaded base
// access key ID: the key credential-process has always used.
func loadedKey(url string, s config.Settings, profile string, extra []string, accessKeyID string) string {
	return credcache.CacheKey(append([]string{url, profile, accessKeyID, strconv.Itoa(s.Duration.Seconds())}, extra...)...)
}

// keyed is what a key adds for the request's reason and scope. Credentials vended with
// one reason are reused only for the same reason: a new reason reaches the TVM, its log
// and, on a break-glass profile, a new alert. Credentials vended with a scope are
// reused only for the same scope, and never for an unscoped request. Keys without
// either are what they always were.
func (s *tvmSource) keyed() []string {
	var extra []string
	if s.reason != "" {
		extra = append(extra, "reason", s.reason)
	}
	if !s.scope.Empty() {
		extra = append(extra, "scope", s.scope.Key())
	}
	return extra
}

// tvmSource is the TVM as an aws.CredentialsProvider for one profile, behind the disk
// cache: it connects on first use and stores every set of credentials it gets.
type tvmSource struct {
	f        *Factory
	settings config.Settings
	profile  string
	reason   string
	scope    sessionpolicy.Scope
	cache    *credcache.FileCache // nil: no disk cache

	mu       sync.Mutex
	provider *tvmclient.Provider
	key      string // where fetched credentials go ("" without a cache)
	hinted   bool   // key was made from a confirmed BaseHint
}

// Retrieve implements aws.CredentialsProvider. A failure to store is only logged: the
// credentials are good.
func (s *tvmSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, putErr, err := s.fetch(ctx)
	if putErr != nil {
		s.f.Logger().Warn("cannot cache credentials", slog.String("error", putErr.Error()))
	}
	return creds, err
}

func (s *tvmSource) fetch(ctx context.Context) (creds aws.Credentials, putErr, err error) {
	if err := s.connect(ctx); err != nil {
		return aws.Credentials{}, nil, err
	}
	creds, err = s.provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, nil, err
	}
	if s.cache != nil && creds.Source != tvmclient.GrantSource {
		// Put refuses credentials without an expiration: nothing is cached for ever. A
		// grant's credentials are not kept either: a revoked grant must be felt at the
		// next command, not when a cached session expires.
		putErr = s.cache.Put(s.key, creds)
	}
	return creds, putErr, nil
}

// connect loads the base configuration, builds the client and, with a cache, decides
// the key. The key is made from a BaseHint only when the hint predicted exactly the
// credentials the SDK loaded and the shared files did not change while it loaded them
// (the hint before equals the hint after); the same inputs then always give the same
// base identity, so a later hit on that key is that identity's. Otherwise the key holds
// the loaded access key ID.
func (s *tvmSource) connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return nil
	}
	var before tvmclient.BaseHint
	var predicted bool
	if s.cache != nil {
		before, predicted = tvmclient.PredictBase(s.f.Getenv, s.settings.BaseProfile)
	}
	remote, err := s.f.connect(ctx, s.settings)
	if err != nil {
		return err
	}
	if s.cache != nil {
		base, err := remote.Base.Credentials.Retrieve(ctx)
		if err != nil {
			return &tvmclient.BaseCredentialsError{Err: err}
		}
		after, still := tvmclient.PredictBase(s.f.Getenv, s.settings.BaseProfile)
		key, ok := hintKey(s.settings, s.profile, s.keyed(), before)
		if predicted && still && after == before && before.Confirms(base) && ok {
			s.key, s.hinted = key, true
		} else {
			s.key = loadedKey(remote.Client.URL(), s.settings, s.profile, s.keyed(), base.AccessKeyID)
		}
	}
	s.provider = &tvmclient.Provider{Client: remote.Client, Request: tvmclient.Request{
		Profile: s.profile, Duration: time.Duration(s.settings.Duration), Reason: s.reason, Scope: s.scope,
	}}
	return nil
}

// notice writes one line about a change in the background refresh.
func (v *Vended) notice(n credcache.Notice) {
	if v.Notices == nil {
		return
	}
	switch {
	case n.Failed:
		until := ""
		if !n.CachedExpires.IsZero() {
			until = "; the current ones work until " + n.CachedExpires.UTC().Format(time.RFC3339)
		}
		msg, _, _ := strings.Cut(n.Err.Error(), "\n")
		fmt.Fprintf(v.Notices, "vend: cannot refresh the credentials of %s: %s%s; vend keeps trying\n", v.Profile, msg, until)
	case n.Recovered:
		fmt.Fprintf(v.Notices, "vend: refreshed the credentials of %s again, after %d failed attempts\n", v.Profile, n.Failures)
	}
}

// Serve serves v's credentials on a loopback endpoint, refreshed ahead of expiry from
// v.Source until ctx ends. v.Credentials are served first, so a command that got them
// (from the TVM, which reported any denial, or from the cache) starts without another
// round trip. The caller closes the server.
func (v *Vended) Serve(ctx context.Context, logger *slog.Logger, opts ...credserver.Option) (*credserver.Server, error) {
	cache := credcache.New(tvmclient.Primed(v.Credentials, v.Source), credcache.WithLogger(logger), credcache.WithNotice(v.notice))
	cache.Start(ctx)
	srv, err := credserver.New(cache, append([]credserver.Option{credserver.WithLogger(logger)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("create the local credentials endpoint: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start the local credentials endpoint: %w", err)
	}
	return srv, nil
}
