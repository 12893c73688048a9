package site

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Server serves a built site on loopback.
type Server struct {
	srv *http.Server
	ln  net.Listener
	url string
	err chan error
}

// StartServer serves dir on addr, which must be a loopback address ("127.0.0.1:0" picks
// a free port). Paths map to files as on S3 website hosting: a folder serves its
// index.html, and a missing path serves 404.html with status 404.
func StartServer(dir, addr string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("serve address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("serve address %q: the site server listens on loopback only, such as 127.0.0.1:1313", addr)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("no built site in %s (run go tool mage site:build): %w", dir, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		ln:  ln,
		url: "http://" + ln.Addr().String() + "/",
		err: make(chan error, 1),
		srv: &http.Server{
			Handler:           siteHandler(dir),
			ReadHeaderTimeout: 5 * time.Second,
		},
	}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s, nil
}

// URL is the site's root URL, ending in "/".
func (s *Server) URL() string { return s.url }

// Close stops the server, waiting up to 5 s for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.err; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// siteHandler serves files with the same Content-Type and Cache-Control the publisher
// sets on S3, so the browser tests see what readers will.
func siteHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	notFound := filepath.Join(dir, "404.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.FromSlash(filepath.Clean("/" + r.URL.Path))
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err == nil && info.IsDir() {
			path = filepath.Join(path, "index.html")
			_, err = os.Stat(path)
		}
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNotFound)
			if page, err := os.ReadFile(notFound); err == nil {
				w.Write(page)
			}
			return
		}
		key := filepath.ToSlash(mustRel(dir, path))
		w.Header().Set("Content-Type", ContentType(key))
		w.Header().Set("Cache-Control", CacheControl(key))
		files.ServeHTTP(w, r)
	})
}

func mustRel(base, path string) string {
	rel, err := filepath.Rel(base, path)
	if err != nil {
		return path
	}
	return rel
}

// Serve serves the built site on addr (default 127.0.0.1:1313) until ctx ends or the
// process gets SIGINT or SIGTERM.
func Serve(ctx context.Context, r *project.Runner, addr string) error {
	if addr == "" {
		addr = "127.0.0.1:1313"
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := StartServer(filepath.Join(r.Root, PublicDir), addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Stdout, "serving the site at %s (Ctrl-C to stop)\n", s.URL())
	<-ctx.Done()
	return s.Close()
}
