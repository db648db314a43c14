// Command gentrail writes synthetic CloudTrail log files for benchmarking
// `eksdrift replay`.
//
// The output uses the layout CloudTrail delivers to S3:
//
//	OUT/AWSLogs/111122223333/CloudTrail/<region>/2026/10/DD/
//	    111122223333_CloudTrail_<region>_20261014T0905Z_<random16>.json.gz
//
// Each file is a gzipped {"Records":[...]} document of roughly 1,000 full
// CloudTrail records (the count varies per file). Almost all of them are
// unrelated traffic (S3 and DynamoDB data events, EC2 describes, STS, KMS,
// CloudWatch Logs, Lambda, read-only EKS and IAM calls, ...). A small number
// (-watched, default 300) are access-changing events of the kinds eksdrift
// watches, drawn from templates and spread randomly over the files:
// eks CreateAccessEntry, AssociateAccessPolicy, DeleteAccessEntry and iam
// AttachRolePolicy, UpdateAssumeRolePolicy.
//
// Besides the logs it writes OUT/watched-event-names.txt (the distinct
// watched eventNames used, one per line) and OUT/gentrail-manifest.txt
// (parameters and counts). Output is a pure function of the flags: the same
// -seed, -mb, -watched and -records give byte-identical files.
//
// Usage:
//
//	go run ./bench/gentrail -out /tmp/trail -mb 200 -watched 300 -seed 1
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

const account = "111122223333"

// Regions and how often a delivery file belongs to each. IAM (global) events
// are only ever delivered in us-east-1 files, as CloudTrail does.
var regions = []string{"us-east-1", "us-west-2", "eu-west-1"}
var regionWeights = []int{45, 35, 20}

// Watched event kinds.
const (
	wCreateAccessEntry = iota
	wAssociateAccessPolicy
	wDeleteAccessEntry
	wAttachRolePolicy
	wUpdateAssumeRolePolicy
	numWatchedKinds
)

var watchedNames = [numWatchedKinds]string{
	"CreateAccessEntry",
	"AssociateAccessPolicy",
	"DeleteAccessEntry",
	"AttachRolePolicy",
	"UpdateAssumeRolePolicy",
}

var watchedWeights = [numWatchedKinds]int{25, 30, 10, 20, 15}

// Clusters the watched EKS events are about, and the region each lives in.
var watchedClusters = []struct{ name, region string }{
	{"prod", "us-west-2"},
	{"staging", "us-east-1"},
}

type config struct {
	out     string
	mb      float64
	watched int
	seed    uint64
	records int // mean records per file
	level   int
	workers int
	clean   bool
	quiet   bool
}

// watchedPlan is one watched record to place in a file.
type watchedPlan struct {
	kind    int
	cluster int // index into watchedClusters (EKS kinds)
}

type filePlan struct {
	index   int
	region  string
	stamp   time.Time // file timestamp; records fall in [stamp-5m, stamp)
	records int
	suffix  string // random16
	watched []watchedPlan
}

type stats struct {
	files, records, watched int
	gzBytes, rawBytes       int64
	byName                  [numWatchedKinds]int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", "", "output directory (required)")
	flag.Float64Var(&cfg.mb, "mb", 200, "target total size of the gzipped files, in MB (10^6 bytes)")
	flag.IntVar(&cfg.watched, "watched", 300, "number of watched access-changing records to spread over the files")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed; the same seed and flags give identical output")
	flag.IntVar(&cfg.records, "records", 1000, "mean number of records per file (each file varies around it)")
	flag.IntVar(&cfg.level, "level", 3, "gzip level (1-9; real CloudTrail files compress about 10x)")
	flag.IntVar(&cfg.workers, "j", runtime.GOMAXPROCS(0), "parallel workers")
	flag.BoolVar(&cfg.clean, "clean", false, "remove an existing OUT/AWSLogs tree first")
	flag.BoolVar(&cfg.quiet, "q", false, "do not print the summary")
	flag.Parse()
	if cfg.out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: gentrail -out DIR [-mb 200] [-watched 300] [-seed 1]")
		flag.PrintDefaults()
		os.Exit(2)
	}
	start := time.Now()
	st, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentrail:", err)
		os.Exit(1)
	}
	if !cfg.quiet {
		el := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "gentrail: wrote %d files, %d records, %d watched records to %s\n",
			st.files, st.records, st.watched, cfg.out)
		fmt.Fprintf(os.Stderr, "gentrail: %.1f MB gzipped, %.1f MB raw (%.1fx), %.1fs\n",
			float64(st.gzBytes)/1e6, float64(st.rawBytes)/1e6,
			float64(st.rawBytes)/math.Max(1, float64(st.gzBytes)), el)
		var parts []string
		for k, n := range st.byName {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", watchedNames[k], n))
			}
		}
		fmt.Fprintf(os.Stderr, "gentrail: watched: %s\n", strings.Join(parts, " "))
	}
}

func run(cfg config) (stats, error) {
	var st stats
	if cfg.mb <= 0 {
		return st, errors.New("-mb must be > 0")
	}
	if cfg.records < 1 {
		return st, errors.New("-records must be >= 1")
	}
	if cfg.watched < 0 {
		return st, errors.New("-watched must be >= 0")
	}
	if cfg.level < 1 || cfg.level > 9 {
		return st, errors.New("-level must be 1-9")
	}
	if cfg.workers < 1 {
		cfg.workers = 1
	}
	logs := filepath.Join(cfg.out, "AWSLogs")
	if _, err := os.Stat(logs); err == nil {
		if !cfg.clean {
			return st, fmt.Errorf("%s already exists; remove it or pass -clean", logs)
		}
		if err := os.RemoveAll(logs); err != nil {
			return st, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}

	world := newWorld(cfg.seed)
	plans, err := plan(cfg, world)
	if err != nil {
		return st, err
	}

	// Generate in parallel. File i depends only on (seed, i, plan[i]), so
	// the output does not depend on scheduling.
	var mu sync.Mutex
	var firstErr error
	next := make(chan *filePlan)
	var wg sync.WaitGroup
	for w := 0; w < cfg.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fg := newFileGen(world, cfg.level)
			for p := range next {
				raw, gz, err := fg.writeFile(cfg, p)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				st.files++
				st.records += p.records
				st.watched += len(p.watched)
				st.gzBytes += gz
				st.rawBytes += raw
				for _, wp := range p.watched {
					st.byName[wp.kind]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range plans {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- &plans[i]
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}

	var names bytes.Buffer
	for k, n := range st.byName {
		if n > 0 {
			names.WriteString(watchedNames[k])
			names.WriteByte('\n')
		}
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "watched-event-names.txt"), names.Bytes(), 0o644); err != nil {
		return st, err
	}
	var man bytes.Buffer
	fmt.Fprintf(&man, "seed=%d\nmb=%g\nwatched=%d\nrecords_per_file=%d\nlevel=%d\n",
		cfg.seed, cfg.mb, cfg.watched, cfg.records, cfg.level)
	fmt.Fprintf(&man, "files=%d\ntotal_records=%d\ntotal_watched=%d\ngz_bytes=%d\nraw_bytes=%d\n",
		st.files, st.records, st.watched, st.gzBytes, st.rawBytes)
	for k, n := range st.byName {
		fmt.Fprintf(&man, "watched.%s=%d\n", watchedNames[k], n)
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "gentrail-manifest.txt"), man.Bytes(), 0o644); err != nil {
		return st, err
	}
	return st, nil
}

// plan decides the files (count, region, time, size) and where the watched
// records go. The file count comes from calibrating the compressed size of
// a sample of records, so the total lands close to -mb.
func plan(cfg config, world *world) ([]filePlan, error) {
	perRecord, err := calibrate(cfg, world)
	if err != nil {
		return nil, err
	}
	target := cfg.mb * 1e6
	nFiles := int(math.Round(target / (perRecord * float64(cfg.records))))
	if nFiles < 1 {
		nFiles = 1
	}

	rng := rand.New(rand.NewPCG(cfg.seed, 0x706c616e))
	// Files are spread over October 2026 in 5-minute delivery slots; the
	// file stamp is the end of the slot its records fall in.
	const slots = 31 * 24 * 12
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	plans := make([]filePlan, nFiles)
	byRegion := map[string][]int{}
	for i := range plans {
		slot := 1 + int(int64(i)*int64(slots-1)/int64(nFiles))
		p := &plans[i]
		p.index = i
		p.region = regions[pickWeighted(rng, regionWeights)]
		p.stamp = base.Add(time.Duration(slot) * 5 * time.Minute)
		// Vary file sizes: 40%..160% of the mean, a little skewed to the
		// middle like real delivery files.
		f := 0.4 + 0.6*(rng.Float64()+rng.Float64())
		p.records = max(1, int(float64(cfg.records)*f))
		p.suffix = randAlnum(rng, 16)
		byRegion[p.region] = append(byRegion[p.region], i)
	}
	pickFile := func(region string) int {
		if c := byRegion[region]; len(c) > 0 {
			return c[rng.IntN(len(c))]
		}
		return rng.IntN(nFiles)
	}
	for w := 0; w < cfg.watched; w++ {
		k := pickWeighted(rng, watchedWeights[:])
		wp := watchedPlan{kind: k, cluster: rng.IntN(len(watchedClusters))}
		var fi int
		switch k {
		case wAttachRolePolicy, wUpdateAssumeRolePolicy:
			fi = pickFile("us-east-1")
		default:
			fi = pickFile(watchedClusters[wp.cluster].region)
		}
		p := &plans[fi]
		if len(p.watched) >= p.records {
			p.records = len(p.watched) + 1
		}
		p.watched = append(p.watched, wp)
	}
	return plans, nil
}

// calibrate returns the average gzipped bytes per record for this seed and
// level, measured on a sample of unrelated records.
func calibrate(cfg config, world *world) (float64, error) {
	fg := newFileGen(world, cfg.level)
	const n = 3000
	p := &filePlan{index: -1, region: "us-east-1", records: n,
		stamp: time.Date(2026, 10, 14, 9, 5, 0, 0, time.UTC), suffix: "calibration00000"}
	fg.reset(cfg.seed, p)
	raw := fg.renderFile(p)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, cfg.level)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(raw); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return float64(buf.Len()) / n, nil
}

func pickWeighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randAlnum(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

func randFrom(rng *rand.Rand, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

// fileGen renders and writes files; one per worker, buffers reused.
type fileGen struct {
	*recGen
	level int
	gzbuf bytes.Buffer
	zw    *gzip.Writer
}

func newFileGen(w *world, level int) *fileGen {
	zw, _ := gzip.NewWriterLevel(nil, level)
	return &fileGen{recGen: &recGen{w: w}, level: level, zw: zw}
}

func (fg *fileGen) writeFile(cfg config, p *filePlan) (raw, gz int64, err error) {
	fg.reset(cfg.seed, p)
	data := fg.renderFile(p)
	fg.gzbuf.Reset()
	fg.zw.Reset(&fg.gzbuf)
	if _, err := fg.zw.Write(data); err != nil {
		return 0, 0, err
	}
	if err := fg.zw.Close(); err != nil {
		return 0, 0, err
	}
	dir := filepath.Join(cfg.out, "AWSLogs", account, "CloudTrail", p.region,
		p.stamp.Format("2006"), p.stamp.Format("01"), p.stamp.Format("02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, p.region,
		p.stamp.Format("20060102T1504Z"), p.suffix)
	if err := os.WriteFile(filepath.Join(dir, name), fg.gzbuf.Bytes(), 0o644); err != nil {
		return 0, 0, err
	}
	return int64(len(data)), int64(fg.gzbuf.Len()), nil
}

// renderFile renders the whole {"Records":[...]} document for p.
func (g *recGen) renderFile(p *filePlan) []byte {
	// Positions of the watched records in this file.
	slots := g.slots[:0]
	for i := 0; i < p.records; i++ {
		slots = append(slots, -1)
	}
	for wi := range p.watched {
		for {
			pos := g.rng.IntN(p.records)
			if slots[pos] < 0 {
				slots[pos] = wi
				break
			}
		}
	}
	g.slots = slots

	g.b = append(g.b[:0], `{"Records":[`...)
	window := int64(5 * 60)
	start := p.stamp.Unix() - window
	for i := 0; i < p.records; i++ {
		if i > 0 {
			g.b = append(g.b, ',')
		}
		// Roughly, not strictly, in time order, as in real files.
		t := start + int64(i)*window/int64(p.records) + int64(g.rng.IntN(5)) - 2
		t = min(max(t, start), start+window-1)
		if wi := slots[i]; wi >= 0 {
			g.watchedRecord(p.watched[wi], t)
		} else {
			g.unrelatedRecord(t)
		}
	}
	g.b = append(g.b, "]}"...)
	return g.b
}
