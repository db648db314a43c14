// Command s3load uploads a directory tree to an S3 bucket on an emulator,
// keys relative to the directory, for `bench/backfill.sh`. It refuses to
// run unless AWS_ENDPOINT_URL names 127.0.0.1 or localhost.
//
// Usage:
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:4566 go run ./bench/s3load -bucket trail -prefix org -dir /tmp/trail/AWSLogs
//
// The keys are PREFIX/AWSLogs/... when -dir ends in AWSLogs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "s3load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	bucket := flag.String("bucket", "", "bucket to create (if need be) and fill")
	prefix := flag.String("prefix", "", "key prefix")
	dir := flag.String("dir", "", "directory to upload")
	workers := flag.Int("j", 16, "uploads in flight")
	flag.Parse()
	if *bucket == "" || *dir == "" {
		return errors.New("-bucket and -dir are required")
	}
	u, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL"))
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q is not an emulator on 127.0.0.1: s3load only fills emulators", os.Getenv("AWS_ENDPOINT_URL"))
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		return err
	}
	root := filepath.Clean(*dir)
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	start := time.Now()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, *workers)
		bytes int64
	)
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Dir(root), f)
		key := path.Join(*prefix, filepath.ToSlash(rel))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body, err := os.ReadFile(f)
			if err == nil {
				_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader(string(body))})
			}
			mu.Lock()
			defer mu.Unlock()
			bytes += int64(len(body))
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	fmt.Printf("uploaded %d files, %.1f MB, to s3://%s/%s in %s\n", len(files), float64(bytes)/1e6, *bucket, *prefix, time.Since(start).Round(time.Millisecond))
	return nil
}
