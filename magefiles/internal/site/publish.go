package site

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Environment variables of site:publish. The endpoint comes from the SDK's own
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, credentials and region from its usual chain.
const (
	EnvBucket = "VEND_SITE_BUCKET"
	EnvPrefix = "VEND_SITE_PREFIX"
	EnvDryRun = "VEND_SITE_DRY_RUN"
)

// Cache-Control values. Fingerprinted files never change under their name, so browsers
// and CDNs may keep them for a year; everything else is revalidated on every use (cheap
// with ETags) so a new build shows at once.
const (
	CacheImmutable  = "public, max-age=31536000, immutable"
	CacheRevalidate = "public, max-age=0, must-revalidate"
)

var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".xml":         "application/xml",
	".txt":         "text/plain; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".wasm":        "application/wasm",
	".pdf":         "application/pdf",
	".pagefind":    "application/octet-stream", // Pagefind's WebAssembly, compressed
	".pf_meta":     "application/octet-stream",
	".pf_index":    "application/octet-stream",
	".pf_fragment": "application/octet-stream",
	".pf_filter":   "application/octet-stream",
	".webmanifest": "application/manifest+json",
	".xsl":         "application/xslt+xml",
	".atom":        "application/atom+xml",
	".rss":         "application/rss+xml",
	".csv":         "text/csv; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".yaml":        "application/yaml",
	".yml":         "application/yaml",
	".gz":          "application/gzip",
	".zip":         "application/zip",
	".tar":         "application/x-tar",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".eot":         "application/vnd.ms-fontobject",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
}

// ContentType returns the Content-Type to serve a site file with, by extension.
func ContentType(key string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(key))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// Hugo's fingerprint puts a hex digest between name and extension
// (site.min.<sha256>.css); Pagefind names its index chunks en_<hash>.pf_index and so on.
var (
	hugoFingerprint     = regexp.MustCompile(`\.[0-9a-f]{32,}\.[A-Za-z0-9]+$`)
	pagefindFingerprint = regexp.MustCompile(`_[0-9a-f]{6,}\.pf_[a-z]+$`)
)

// IsFingerprinted reports whether a file's name changes whenever its content does.
func IsFingerprinted(key string) bool {
	base := path.Base(key)
	return hugoFingerprint.MatchString(base) || pagefindFingerprint.MatchString(base)
}

// CacheControl returns the Cache-Control to serve a site file with.
func CacheControl(key string) string {
	if IsFingerprinted(key) {
		return CacheImmutable
	}
	return CacheRevalidate
}

// Object is one file of the built site.
type Object struct {
	Key  string // S3 key, with the prefix
	Path string // file on disk
	MD5  string // lowercase hex
	Size int64
}

// LocalObjects lists the files under dir as objects under prefix ("" or "docs/").
func LocalObjects(dir, prefix string) ([]Object, error) {
	var objs []Object
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sum, size, err := fileMD5(p)
		if err != nil {
			return err
		}
		objs = append(objs, Object{Key: prefix + filepath.ToSlash(rel), Path: p, MD5: sum, Size: size})
		return nil
	})
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, err
}

func fileMD5(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Plan is what a sync does.
type Plan struct {
	Upload    []Object
	Delete    []string
	Unchanged int
}

// PlanSync compares the local files with the bucket's objects (key → ETag) and decides
// what to upload and delete. A single-part upload's ETag is the MD5 of its content, so an
// equal ETag means an equal object; anything else (multipart or SSE-KMS ETags, new files)
// is uploaded. Remote objects with no local file are deleted. force uploads everything.
func PlanSync(local []Object, remote map[string]string, force bool) Plan {
	var p Plan
	seen := make(map[string]bool, len(local))
	for _, o := range local {
		seen[o.Key] = true
		if etag, ok := remote[o.Key]; ok && !force && normalizeETag(etag) == o.MD5 {
			p.Unchanged++
			continue
		}
		p.Upload = append(p.Upload, o)
	}
	for key := range remote {
		if !seen[key] {
			p.Delete = append(p.Delete, key)
		}
	}
	slices.Sort(p.Delete)
	return p
}

func normalizeETag(etag string) string {
	return strings.ToLower(strings.Trim(etag, `"`))
}

// S3API is the part of the S3 client the publisher uses.
type S3API interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// PublishOptions say where and how to publish.
type PublishOptions struct {
	Bucket string
	Prefix string // key prefix, "" for the bucket's root; a trailing "/" is added
	Dir    string // the built site; empty: PublicDir under the repository root
	DryRun bool   // print the plan, change nothing
	Force  bool   // upload every file, for example after changing cache headers
	Client S3API  // empty: an S3 client from the SDK's default configuration
	Out    io.Writer
}

// PublishOptionsFromEnv reads VEND_SITE_BUCKET, VEND_SITE_PREFIX and VEND_SITE_DRY_RUN.
func PublishOptionsFromEnv() (PublishOptions, error) {
	opts := PublishOptions{Bucket: os.Getenv(EnvBucket), Prefix: os.Getenv(EnvPrefix)}
	if opts.Bucket == "" {
		return opts, fmt.Errorf("set %s to the bucket to publish the site to (and %s=true to see the plan first)", EnvBucket, EnvDryRun)
	}
	if v := os.Getenv(EnvDryRun); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opts, fmt.Errorf("%s=%q: want true or false", EnvDryRun, v)
		}
		opts.DryRun = b
	}
	return opts, nil
}

// NewS3Client returns an S3 client from the SDK's default configuration. A custom
// endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, which the SDK reads itself) gets
// path-style addressing, which local S3 implementations need.
func NewS3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom }), nil
}

// Publish syncs the built site to S3: it uploads new and changed files with their
// Content-Type and Cache-Control, deletes objects under the prefix that the build no
// longer has, and leaves the rest alone.
func Publish(ctx context.Context, r *project.Runner, opts PublishOptions) (Plan, error) {
	if opts.Bucket == "" {
		return Plan{}, errors.New("publish: no bucket")
	}
	if opts.Prefix != "" && !strings.HasSuffix(opts.Prefix, "/") {
		opts.Prefix += "/"
	}
	if opts.Dir == "" {
		opts.Dir = filepath.Join(r.Root, PublicDir)
	}
	if opts.Out == nil {
		opts.Out = r.Stdout
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, "index.html")); err != nil {
		return Plan{}, fmt.Errorf("no built site in %s (run go tool mage site:build): %w", opts.Dir, err)
	}
	if opts.Client == nil {
		c, err := NewS3Client(ctx)
		if err != nil {
			return Plan{}, err
		}
		opts.Client = c
	}
	local, err := LocalObjects(opts.Dir, opts.Prefix)
	if err != nil {
		return Plan{}, err
	}
	remote, err := listObjects(ctx, opts.Client, opts.Bucket, opts.Prefix)
	if err != nil {
		return Plan{}, err
	}
	plan := PlanSync(local, remote, opts.Force)
	verb := ""
	if opts.DryRun {
		verb = "would "
	}
	for _, o := range plan.Upload {
		fmt.Fprintf(opts.Out, "%supload s3://%s/%s (%s; %s)\n", verb, opts.Bucket, o.Key, ContentType(o.Key), CacheControl(o.Key))
	}
	for _, k := range plan.Delete {
		fmt.Fprintf(opts.Out, "%sdelete s3://%s/%s\n", verb, opts.Bucket, k)
	}
	fmt.Fprintf(opts.Out, "%s%d to upload, %d to delete, %d unchanged\n", verb, len(plan.Upload), len(plan.Delete), plan.Unchanged)
	if opts.DryRun {
		return plan, nil
	}
	if err := uploadAll(ctx, opts.Client, opts.Bucket, plan.Upload); err != nil {
		return plan, err
	}
	return plan, deleteAll(ctx, opts.Client, opts.Bucket, plan.Delete)
}

func listObjects(ctx context.Context, c S3API, bucket, prefix string) (map[string]string, error) {
	out := map[string]string{}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return out, nil
}

// uploadConcurrency bounds parallel uploads: enough to hide latency, few enough not to
// trip S3's or a local endpoint's limits.
const uploadConcurrency = 8

func uploadAll(ctx context.Context, c S3API, bucket string, objs []Object) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, uploadConcurrency)
	)
	for _, o := range objs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := upload(ctx, c, bucket, o); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func upload(ctx context.Context, c S3API, bucket string, o Object) error {
	data, err := os.ReadFile(o.Path)
	if err != nil {
		return err
	}
	sum := md5.Sum(data)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String(bucket),
		Key:          aws.String(o.Key),
		Body:         bytes.NewReader(data),
		ContentType:  aws.String(ContentType(o.Key)),
		CacheControl: aws.String(CacheControl(o.Key)),
		ContentMD5:   aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	if err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", bucket, o.Key, err)
	}
	return nil
}

// deleteBatch is S3's limit of keys per DeleteObjects call.
const deleteBatch = 1000

func deleteAll(ctx context.Context, c S3API, bucket string, keys []string) error {
	for start := 0; start < len(keys); start += deleteBatch {
		batch := keys[start:min(start+deleteBatch, len(keys))]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete stale objects from s3://%s: %w", bucket, err)
		}
		if len(out.Errors) > 0 {
			var errs []error
			for _, e := range out.Errors {
				errs = append(errs, fmt.Errorf("delete s3://%s/%s: %s", bucket, aws.ToString(e.Key), aws.ToString(e.Message)))
			}
			return errors.Join(errs...)
		}
	}
	return nil
}
