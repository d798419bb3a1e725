package localauth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Environment of the plugin process started by startPluginProcess.
const (
	pluginEnvParams    = "LOCALAUTH_TEST_PLUGIN_PARAMS"     // "m,t": current argon2 parameters
	pluginEnvNoRelease = "LOCALAUTH_TEST_PLUGIN_NO_RELEASE" // "1": keep hash memory (the old behaviour)
)

// TestHelperPluginProcess is not a test: startPluginProcess re-executes the
// test binary to run it as the real plugin process (go-plugin's gRPC server
// and the SDK's adapters), as `ocrbox plugin local` would.
func TestHelperPluginProcess(t *testing.T) {
	spec := os.Getenv(pluginEnvParams)
	if spec == "" {
		t.Skip("helper process for the sign-in burst tests")
	}
	var m, tm uint32
	if _, err := fmt.Sscanf(spec, "%d,%d", &m, &tm); err != nil {
		t.Fatal(err)
	}
	p := New()
	p.params = argonParams{memoryKiB: m, time: tm, threads: 1, saltLen: argonSaltLen, keyLen: argonKeyLen}
	sdk.ServeAuth(&helperProvider{Provider: p, keep: os.Getenv(pluginEnvNoRelease) == "1"})
}

// helperProvider is the Provider, optionally without giving hash memory
// back, to measure what that costs.
type helperProvider struct {
	*Provider
	keep bool
}

func (h *helperProvider) Configure(ctx context.Context, m map[string]string) error {
	if err := h.Provider.Configure(ctx, m); err != nil {
		return err
	}
	if h.keep {
		h.users.Load().hashes.release = func() {}
	}
	return nil
}

// pluginProcess is a running plugin process and its dispensed client.
type pluginProcess struct {
	auth sdk.AuthProvider
	pid  int
}

// startPluginProcess runs the local provider in its own process with the
// current parameters p, configured for usersFile.
func startPluginProcess(tb testing.TB, p argonParams, usersFile string, keepMemory bool) *pluginProcess {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPluginProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", pluginEnvParams, p.memoryKiB, p.time))
	if keepMemory {
		cmd.Env = append(cmd.Env, pluginEnvNoRelease+"=1")
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginMap(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.DialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
		StartTimeout:     time.Minute,
	})
	tb.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := rpc.Dispense(sdk.KindAuth)
	if err != nil {
		tb.Fatal(err)
	}
	a := raw.(sdk.AuthProvider)
	if err := a.Configure(tb.Context(), map[string]string{SettingUsersFile: usersFile}); err != nil {
		tb.Fatal(err)
	}
	return &pluginProcess{auth: a, pid: client.ReattachConfig().Pid}
}

// memory returns the process's resident size now and at its peak, in KiB.
func (pp *pluginProcess) memory(tb testing.TB) (rss, peak int) {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pp.pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}

// writeBurstUsers writes n accounts whose passwords are hashed under p. They
// share one hash (the same password and salt): checking it costs exactly
// what checking n different ones costs, without n hashes to set up.
func writeBurstUsers(tb testing.TB, path string, p argonParams, n int) (emails []string, password string) {
	tb.Helper()
	password = "office-password"
	h, err := hashPassword(p, password)
	if err != nil {
		tb.Fatal(err)
	}
	users := map[string]userRecord{}
	now := time.Now().UTC().Truncate(time.Second)
	for i := range n {
		e := fmt.Sprintf("colleague%02d@example.org", i)
		emails = append(emails, e)
		users[e] = userRecord{Email: e, Name: e, PasswordHash: h, CreatedAt: now, UpdatedAt: now}
	}
	if err := writeUsers(path, users); err != nil {
		tb.Fatal(err)
	}
	return emails, password
}

// burst signs every email in at once and returns each sign-in's time.
func burst(tb testing.TB, a sdk.AuthProvider, emails []string, password string) (total time.Duration, each []time.Duration) {
	tb.Helper()
	each = make([]time.Duration, len(emails))
	errs := make([]error, len(emails))
	var wg sync.WaitGroup
	start := time.Now()
	for i, e := range emails {
		wg.Go(func() {
			t0 := time.Now()
			_, errs[i] = a.Authenticate(tb.Context(), e, password)
			each[i] = time.Since(t0)
		})
	}
	wg.Wait()
	total = time.Since(start)
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("sign-in of %s: %v", emails[i], err)
		}
	}
	slices.Sort(each)
	return total, each
}

// waitUpgraded waits until every hash in path has parameters p.
func waitUpgraded(tb testing.TB, path string, p argonParams) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		users, _, err := readUsers(path)
		if err != nil {
			tb.Fatal(err)
		}
		old := 0
		for _, r := range users {
			if needsRehash(r.PasswordHash, p) {
				old++
			}
		}
		if old == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d hashes still not upgraded", old, len(users))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// 50 colleagues sign in at once through the real plugin process: all are
// accepted, and their old hashes are then upgraded in the background.
func TestSignInBurstOverPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	emails, password := writeBurstUsers(t, path, oldParams, 50)
	pp := startPluginProcess(t, testParams, path, false)
	total, each := burst(t, pp.auth, emails, password)
	t.Logf("50 sign-ins in %v (p50 %v, max %v)", total, each[len(each)/2], each[len(each)-1])
	waitUpgraded(t, path, testParams)
	if _, err := pp.auth.Authenticate(t.Context(), emails[0], password); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
}

// BenchmarkSignInBurst measures what docs/benchmarks.md ("Sign-in burst")
// reports: 50 colleagues signing in at once through the real plugin process,
// per-burst wall time and sign-in latencies, and the plugin's resident size
// before, at its peak and once idle. Run it alone:
//
//	go test -run '^$' -bench SignInBurst -benchtime 1x ./plugins/localauth/
func BenchmarkSignInBurst(b *testing.B) {
	old := argonParams{memoryKiB: 64 * 1024, time: 2, threads: 1, saltLen: argonSaltLen, keyLen: argonKeyLen}
	cases := []struct {
		name       string
		stored     argonParams // the users' hashes
		current    argonParams // the plugin's parameters for new hashes
		keepMemory bool
	}{
		{"before/64MiB", old, old, true},
		{"first-burst-after-upgrade/64MiB-hashes", old, defaultParams, false},
		{"after/19MiB", defaultParams, defaultParams, false},
	}
	const n = 50
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var total, p50, maxLat time.Duration
			var base, peak, idle int
			for range b.N {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "users.json")
				emails, password := writeBurstUsers(b, path, c.stored, n)
				pp := startPluginProcess(b, c.current, path, c.keepMemory)
				base, _ = pp.memory(b)
				b.StartTimer()
				t, each := burst(b, pp.auth, emails, password)
				b.StopTimer()
				total += t
				p50 += each[n/2]
				maxLat += each[n-1]
				waitUpgraded(b, path, c.current)
				time.Sleep(releaseAfter + 500*time.Millisecond)
				var pk int
				idle, pk = pp.memory(b)
				peak = max(peak, pk)
			}
			b.ReportMetric(float64(p50.Milliseconds())/float64(b.N), "p50-ms")
			b.ReportMetric(float64(maxLat.Milliseconds())/float64(b.N), "max-ms")
			b.ReportMetric(float64(base)/1024, "base-MiB")
			b.ReportMetric(float64(peak)/1024, "peak-MiB")
			b.ReportMetric(float64(idle)/1024, "idle-MiB")
		})
	}
}
