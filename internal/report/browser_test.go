package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// chromium finds headless Chromium: $CHROMIUM_BIN, else chromium on the
// PATH. When it is missing and the test runs as root (as CI does, on
// Debian), it installs Debian's chromium package, as `make chromium` does.
func chromium(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CHROMIUM_BIN"); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		t.Skip("Chromium is not installed and cannot be installed here (needs root and apt-get): run `make chromium` or set CHROMIUM_BIN")
	}
	t.Log("installing chromium with apt-get")
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "chromium")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		// The package lists may never have been fetched on a fresh image.
		if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
			t.Fatalf("apt-get update: %v\n%s", err, out)
		}
		if out, err := install(); err != nil {
			t.Fatalf("apt-get install chromium: %v\n%s", err, out)
		}
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium installed but not found: %v", err)
	}
	return bin
}

// TestReportInChromium opens the golden report in headless Chromium from a
// file, as an auditor would offline: the chart and every row must be there,
// the filters and the sort must work, the page must log no error and ask
// the network for nothing. It saves a screenshot and a PDF print of the
// page in the test's temporary directory.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	r := golden(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(render(t, r)), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	// One bound for the browser's whole life: a timeout on a single
	// action's context would stop the browser with it.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	var (
		mu       sync.Mutex
		problems []string
		requests []string
	)
	note := func(list *[]string, s string) {
		mu.Lock()
		defer mu.Unlock()
		*list = append(*list, s)
	}
	// The listener sees every event from the tab's first message on:
	// console calls, uncaught exceptions, the browser's log (a resource
	// that failed to load, a blocked script) and network requests.
	ctx, cancelBrowser := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			switch e.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
				var args []string
				for _, a := range e.Args {
					args = append(args, strings.TrimSpace(string(a.Value)+" "+a.Description))
				}
				note(&problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			note(&problems, "exception: "+exceptionText(e.ExceptionDetails))
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				note(&problems, fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			if u := e.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				note(&requests, u)
			}
		}
	}))
	defer cancelBrowser()

	start := time.Now()
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+file),
		chromedp.WaitReady(chromedp.CSS("#findings-table tbody tr")),
	); err != nil {
		t.Fatalf("chromium: opening the report: %v", err)
	}
	count := func(selector string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
		if err != nil {
			t.Fatalf("chromium: counting %s: %v", selector, err)
		}
		return n
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	dots := count("#timeline svg circle.point[data-finding]")
	lanes := count("#timeline svg .lane")
	rows := count("#findings-table tbody tr")
	cards := count("#summary .card")
	accessTables := count("#access article table")
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	// Filter by severity as a person would, with the select.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#filter-severity"), "critical")); err != nil {
		t.Fatal(err)
	}
	criticalRows, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.getElementById("filter-severity").dispatchEvent(new Event("change", {bubbles: true})), document.querySelectorAll("#findings-table tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	// Clear the filter, then sort by exposure, longest first: two clicks.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#filter-severity"), ""),
		chromedp.Click(chromedp.CSS(`th[data-key="exposureSeconds"] button`)),
		chromedp.Click(chromedp.CSS(`th[data-key="exposureSeconds"] button`)),
	); err != nil {
		t.Fatal(err)
	}
	firstAfterSort, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#findings-table tbody tr").dataset.id`))
	if err != nil {
		t.Fatal(err)
	}
	rowsAfterSort := count("#findings-table tbody tr")
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFLandscape(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatalf("chromium: printing: %v", err)
	}
	t.Logf("rendered, checked and printed in %v", time.Since(start).Round(time.Millisecond))

	wantDots := 0
	for _, l := range r.Chart.Lanes {
		wantDots += len(l.Points)
	}
	wantCritical, longest := 0, r.Findings[0]
	for _, f := range r.Findings {
		if f.Severity == drift.SeverityCritical {
			wantCritical++
		}
		if f.ExposureSeconds > longest.ExposureSeconds {
			longest = f
		}
	}
	wantAccess := 0
	for _, c := range r.Clusters {
		if c.Access != nil {
			wantAccess++
		}
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"chart dots", dots, wantDots},
		{"chart lanes", lanes, len(r.Chart.Lanes)},
		{"table rows", rows, len(r.Findings)},
		{"rows after filtering critical", criticalRows, wantCritical},
		{"summary cards", cards, 5},
		{"access tables", accessTables, wantAccess},
		{"first row by longest exposure", firstAfterSort, longest.ID},
		{"rows after clearing the filter", rowsAfterSort, len(r.Findings)},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	if !strings.Contains(title, "EKS access audit") {
		t.Errorf("title: got %q", title)
	}
	if wantDots == 0 || wantCritical == 0 {
		t.Errorf("the golden report has no drift to draw: the test proves nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("the page logged: %s", p)
	}
	for _, u := range requests {
		t.Errorf("the page asked the network for %s: it must need nothing from outside", u)
	}

	shot, print := filepath.Join(dir, "report.png"), filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(shot, screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(print, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(screenshot) < 10_000 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("screenshot %d bytes, PDF starts %q: want a picture and a PDF", len(screenshot), pdf[:min(len(pdf), 8)])
	}
	t.Logf("screenshot %s (%d bytes), print %s (%d bytes)", shot, len(screenshot), print, len(pdf))
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	if d.Exception != nil {
		return d.Text + " " + d.Exception.Description
	}
	return d.Text
}
