package interact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/slack"
)

// TestReplayInAnotherSpelling replays a signed press with its signature
// spelt otherwise: hex digits in upper or mixed case decode to the same
// HMAC, so the verifier takes them, and the replay check must too.
func TestReplayInAnotherSpelling(t *testing.T) {
	w := newWorld(t)
	body := payload(approver, slack.ActionSnooze1h, w.f.ID(), w.respURL())
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	digits := hex.EncodeToString(mac.Sum(nil))
	mixed := []byte(digits)
	for i := 0; i < len(mixed); i += 2 {
		mixed[i] = strings.ToUpper(string(mixed[i]))[0]
	}
	send := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, w.endpoint.URL, strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("v0=" + digits); got != 200 {
		t.Fatalf("first: got %d, want 200", got)
	}
	tests := []struct{ name, sig string }{
		{"upper case", "v0=" + strings.ToUpper(digits)},
		{"mixed case", "v0=" + string(mixed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := send(tt.sig); got != 401 {
				t.Errorf("got %d, want 401", got)
			}
		})
	}
	if n := len(w.interactions()); n != 1 {
		t.Errorf("got %d interactions, want the first alone", n)
	}
}
