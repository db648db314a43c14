package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws one status line on a terminal, redrawn in place at most
// ten times a second; on anything else (a file, a pipe, a test buffer) it
// draws nothing, so logs and CI output stay clean.
type progress struct {
	w     io.Writer
	on    bool
	start time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
	stop  func() // stops the redraws of every, if any
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, on: isTerminal(w), start: time.Now()}
}

// show draws line unless one was drawn less than 100 ms ago.
func (p *progress) show(line string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.drawn = true
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	}
}

// every redraws the line that line gives every interval, until stop is
// called: for work whose progress is counted in many small steps.
func (p *progress) every(interval time.Duration, line func() string) (stop func()) {
	if !p.on {
		return func() {}
	}
	done := make(chan struct{})
	var (
		wg   sync.WaitGroup
		once sync.Once
	)
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.show(line())
			case <-done:
				return
			}
		}
	})
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	p.mu.Lock()
	p.stop = stop
	p.mu.Unlock()
	return stop
}

// clear stops the redraws and removes the status line, before the command
// prints anything else.
func (p *progress) clear() {
	if !p.on {
		return
	}
	p.mu.Lock()
	stop := p.stop
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// elapsed is the time since the progress began, rounded for people.
func (p *progress) elapsed() time.Duration { return time.Since(p.start).Round(100 * time.Millisecond) }

// bar draws done of total in width cells: [#########.......].
func bar(done, total, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat(".", width) + "]"
	}
	n := min(width, done*width/total)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// progressBar is the 20-cell bar of the status lines.
func progressBar(done, total int) string { return bar(done, total, 20) }
