package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// usage is what loadgen knows about a process at one moment. Fields it
// could not read are left at -1.
type usage struct {
	RSS        int64         // resident set size, bytes
	Goroutines int           // from go_goroutines on /metrics
	CPU        time.Duration // user + system time since the process started
}

func unknownUsage() usage { return usage{RSS: -1, Goroutines: -1, CPU: -1} }

// target is the daemon under load, seen from outside: /proc/<pid> when the
// pid is known (exact RSS, CPU to the clock tick), and its admin /metrics
// when an admin address is given (goroutines; RSS and CPU when there is no
// pid).
type target struct {
	pid     int    // 0: unknown
	metrics string // the /metrics URL; "": none
	client  *http.Client
}

// sample reads the target's usage now. An error from one source does not
// hide the other's figures; it is returned alongside them.
func (t *target) sample(ctx context.Context) (usage, error) {
	u := unknownUsage()
	var errs []error
	if t.metrics != "" {
		m, err := t.scrape(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			if v, ok := m["go_goroutines"]; ok {
				u.Goroutines = int(v)
			}
			if v, ok := m["process_resident_memory_bytes"]; ok {
				u.RSS = int64(v)
			}
			if v, ok := m["process_cpu_seconds_total"]; ok {
				u.CPU = time.Duration(v * float64(time.Second))
			}
		}
	}
	if t.pid > 0 {
		p, err := readProc(t.pid)
		if err != nil {
			errs = append(errs, err)
		} else {
			u.RSS, u.CPU = p.RSS, p.CPU
		}
	}
	return u, errors.Join(errs...)
}

// scrape fetches and parses the target's /metrics.
func (t *target) scrape(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.metrics, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("metrics: %s answered %s", t.metrics, resp.Status)
	}
	m, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// parseMetrics reads the label-free samples of a Prometheus text
// exposition ("go_goroutines 12"); labelled series and comments are
// skipped, since loadgen only needs process-wide gauges.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	m := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		m[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read exposition: %w", err)
	}
	return m, nil
}

// procUsage is what /proc says about a process.
type procUsage struct {
	RSS     int64
	Threads int
	CPU     time.Duration
}

// readProc reads /proc/<pid>/status and /proc/<pid>/stat.
func readProc(pid int) (procUsage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procUsage{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procUsage{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	p, err := parseStatus(status)
	if err != nil {
		return procUsage{}, fmt.Errorf("process %d status: %w", pid, err)
	}
	if p.CPU, err = parseStatCPU(stat); err != nil {
		return procUsage{}, fmt.Errorf("process %d stat: %w", pid, err)
	}
	return p, nil
}

// parseStatus reads VmRSS and Threads from /proc/<pid>/status.
func parseStatus(b []byte) (procUsage, error) {
	p := procUsage{RSS: -1, Threads: -1}
	for line := range bytes.Lines(b) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := strings.Fields(string(value))
		if len(f) == 0 {
			continue
		}
		switch string(name) {
		case "VmRSS":
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return p, fmt.Errorf("VmRSS %q: %w", f[0], err)
			}
			p.RSS = kb << 10
		case "Threads":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return p, fmt.Errorf("Threads %q: %w", f[0], err)
			}
			p.Threads = n
		}
	}
	if p.RSS < 0 {
		return p, errors.New("no VmRSS line")
	}
	return p, nil
}

// parseStatCPU returns utime + stime from /proc/<pid>/stat. The command
// name (field 2) is in parentheses and may hold spaces, so fields are
// counted from the last ')': utime and stime are fields 14 and 15.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	const utime, stime = 14 - 3, 15 - 3 // f[0] is field 3, the state
	if len(f) <= stime {
		return 0, fmt.Errorf("%d fields after the command name, want at least %d", len(f), stime+1)
	}
	u, err := strconv.ParseInt(f[utime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime %q: %w", f[utime], err)
	}
	s, err := strconv.ParseInt(f[stime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime %q: %w", f[stime], err)
	}
	return time.Duration(u+s) * clockTick, nil
}

// selfCPU is loadgen's own user + system time, to the microsecond.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
