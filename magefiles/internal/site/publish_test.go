package site

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/magefiles/internal/project"
)

func TestContentTypeAndCacheControl(t *testing.T) {
	tests := []struct {
		key, contentType, cache string
	}{
		{"index.html", "text/html; charset=utf-8", CacheRevalidate},
		{"docs/quick-start/index.html", "text/html; charset=utf-8", CacheRevalidate},
		{"css/site.min.8eb8235249212a4fc0f86477284601435b5312c8d9250192a21729d7752b691f.css", "text/css; charset=utf-8", CacheImmutable},
		{"js/site.min.b643e619f5f251496a8bedff90c6131ab36bec30715fcb12ae41e86eba35f7f4.js", "text/javascript; charset=utf-8", CacheImmutable},
		{"pagefind/pagefind.js", "text/javascript; charset=utf-8", CacheRevalidate},
		{"pagefind/pagefind-entry.json", "application/json", CacheRevalidate},
		{"pagefind/wasm.en.pagefind", "application/octet-stream", CacheRevalidate},
		{"pagefind/pagefind.en_f39a9c8e8b.pf_meta", "application/octet-stream", CacheImmutable},
		{"pagefind/index/en_50ce3d9.pf_index", "application/octet-stream", CacheImmutable},
		{"pagefind/fragment/en_75f8149.pf_fragment", "application/octet-stream", CacheImmutable},
		{"sitemap.xml", "application/xml", CacheRevalidate},
		{"favicon.svg", "image/svg+xml", CacheRevalidate},
		{"robots.txt", "text/plain; charset=utf-8", CacheRevalidate},
		{"IMAGE.PNG", "image/png", CacheRevalidate},
		{"no-extension", "application/octet-stream", CacheRevalidate},
		{"cafe.css", "text/css; charset=utf-8", CacheRevalidate}, // hex-looking, but not a digest
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := ContentType(tt.key); got != tt.contentType {
				t.Errorf("ContentType = %q, want %q", got, tt.contentType)
			}
			if got := CacheControl(tt.key); got != tt.cache {
				t.Errorf("CacheControl = %q, want %q", got, tt.cache)
			}
		})
	}
}

func TestPlanSync(t *testing.T) {
	local := []Object{
		{Key: "index.html", MD5: "aaaa"},
		{Key: "new.html", MD5: "bbbb"},
		{Key: "changed.css", MD5: "cccc"},
		{Key: "multipart.bin", MD5: "dddd"},
	}
	remote := map[string]string{
		"index.html":    `"AAAA"`, // same content; S3 quotes ETags, case may differ
		"changed.css":   `"ffff"`,
		"multipart.bin": `"dddd-2"`, // a multipart ETag is not an MD5: upload again
		"stale.html":    `"eeee"`,
		"old/page.html": `"eeee"`,
	}
	p := PlanSync(local, remote, false)
	var up []string
	for _, o := range p.Upload {
		up = append(up, o.Key)
	}
	if !slices.Equal(up, []string{"new.html", "changed.css", "multipart.bin"}) {
		t.Errorf("upload %v", up)
	}
	if !slices.Equal(p.Delete, []string{"old/page.html", "stale.html"}) {
		t.Errorf("delete %v", p.Delete)
	}
	if p.Unchanged != 1 {
		t.Errorf("unchanged %d, want 1", p.Unchanged)
	}
	if forced := PlanSync(local, remote, true); len(forced.Upload) != len(local) || forced.Unchanged != 0 {
		t.Errorf("force plan %+v", forced)
	}
	if empty := PlanSync(nil, nil, false); len(empty.Upload)+len(empty.Delete)+empty.Unchanged != 0 {
		t.Errorf("empty plan %+v", empty)
	}
}

func TestLocalObjects(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "index.html"), "hello")
	write(t, filepath.Join(dir, "css", "a.css"), "")
	objs, err := LocalObjects(dir, "docs/")
	if err != nil {
		t.Fatal(err)
	}
	want := []Object{
		{Key: "docs/css/a.css", Path: filepath.Join(dir, "css", "a.css"), MD5: "d41d8cd98f00b204e9800998ecf8427e", Size: 0},
		{Key: "docs/index.html", Path: filepath.Join(dir, "index.html"), MD5: "5d41402abc4b2a76b9719d911017c592", Size: 5},
	}
	if !slices.Equal(objs, want) {
		t.Fatalf("got %+v\nwant %+v", objs, want)
	}
}

func TestPublishOptionsFromEnv(t *testing.T) {
	t.Setenv(EnvBucket, "")
	if _, err := PublishOptionsFromEnv(); err == nil || !strings.Contains(err.Error(), EnvBucket) {
		t.Fatalf("err = %v, want one naming %s", err, EnvBucket)
	}
	t.Setenv(EnvBucket, "docs-bucket")
	t.Setenv(EnvPrefix, "vend")
	t.Setenv(EnvDryRun, "true")
	opts, err := PublishOptionsFromEnv()
	if err != nil || opts.Bucket != "docs-bucket" || opts.Prefix != "vend" || !opts.DryRun {
		t.Fatalf("got %+v, %v", opts, err)
	}
	t.Setenv(EnvDryRun, "maybe")
	if _, err := PublishOptionsFromEnv(); err == nil {
		t.Fatal("want an error for a bad dry-run value")
	}
}

// TestPublishMoto syncs a small site to a real S3 API (moto_server on loopback) and
// checks each property the publisher promises: content types and cache headers, a second
// run that uploads nothing, only changed files uploaded, stale objects deleted, objects
// outside the prefix untouched, and a dry run that changes nothing.
func TestPublishMoto(t *testing.T) {
	endpoint := testkit.MotoForTest(t).URL()
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := NewS3Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const bucket = "vend-site-test"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	// An object outside the prefix must survive every sync.
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("other/keep.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	const css = "css/site.min.8eb8235249212a4fc0f86477284601435b5312c8d9250192a21729d7752b691f.css"
	write(t, filepath.Join(dir, "index.html"), "<h1>vend</h1>")
	write(t, filepath.Join(dir, "quick-start", "index.html"), "<h1>Quick start</h1>")
	write(t, filepath.Join(dir, filepath.FromSlash(css)), "body{}")
	write(t, filepath.Join(dir, "pagefind", "index", "en_50ce3d9.pf_index"), "\x1f\x8bindex")

	var out bytes.Buffer
	r := &project.Runner{Root: t.TempDir(), Stdout: &out, Stderr: &out}
	publish := func(dryRun bool) Plan {
		t.Helper()
		out.Reset()
		p, err := Publish(ctx, r, PublishOptions{Bucket: bucket, Prefix: "site", Dir: dir, DryRun: dryRun})
		if err != nil {
			t.Fatalf("publish: %v\n%s", err, out.String())
		}
		return p
	}

	if p := publish(false); len(p.Upload) != 4 || len(p.Delete) != 0 {
		t.Fatalf("first publish: %+v\n%s", p, out.String())
	}
	for key, want := range map[string][2]string{
		"site/index.html": {"text/html; charset=utf-8", CacheRevalidate},
		"site/" + css:     {"text/css; charset=utf-8", CacheImmutable},
		"site/pagefind/index/en_50ce3d9.pf_index": {"application/octet-stream", CacheImmutable},
	} {
		head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("head %s: %v", key, err)
		}
		if got := aws.ToString(head.ContentType); got != want[0] {
			t.Errorf("%s Content-Type %q, want %q", key, got, want[0])
		}
		if got := aws.ToString(head.CacheControl); got != want[1] {
			t.Errorf("%s Cache-Control %q, want %q", key, got, want[1])
		}
	}

	if p := publish(false); len(p.Upload) != 0 || len(p.Delete) != 0 || p.Unchanged != 4 {
		t.Fatalf("second publish of the same site changed something: %+v\n%s", p, out.String())
	}

	write(t, filepath.Join(dir, "index.html"), "<h1>vend 2</h1>")
	if err := os.RemoveAll(filepath.Join(dir, "quick-start")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "new", "index.html"), "<h1>new</h1>")

	if p := publish(true); len(p.Upload) != 2 || len(p.Delete) != 1 {
		t.Fatalf("dry run plan: %+v\n%s", p, out.String())
	}
	if !strings.Contains(out.String(), "would delete s3://vend-site-test/site/quick-start/index.html") {
		t.Errorf("dry run output:\n%s", out.String())
	}
	if got := getObject(ctx, t, client, bucket, "site/index.html"); got != "<h1>vend</h1>" {
		t.Fatalf("dry run changed the bucket: index.html is %q", got)
	}

	p := publish(false)
	var up []string
	for _, o := range p.Upload {
		up = append(up, o.Key)
	}
	slices.Sort(up)
	if !slices.Equal(up, []string{"site/index.html", "site/new/index.html"}) || !slices.Equal(p.Delete, []string{"site/quick-start/index.html"}) || p.Unchanged != 2 {
		t.Fatalf("third publish: upload %v, delete %v, unchanged %d", up, p.Delete, p.Unchanged)
	}
	if got := getObject(ctx, t, client, bucket, "site/index.html"); got != "<h1>vend 2</h1>" {
		t.Errorf("index.html is %q after the update", got)
	}
	keys := listKeys(ctx, t, client, bucket)
	want := []string{"other/keep.txt", "site/" + css, "site/index.html", "site/new/index.html", "site/pagefind/index/en_50ce3d9.pf_index"}
	if !slices.Equal(keys, want) {
		t.Fatalf("bucket holds %v\nwant %v", keys, want)
	}
}

func getObject(ctx context.Context, t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func listKeys(ctx context.Context, t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}
