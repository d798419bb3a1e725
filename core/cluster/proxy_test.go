package cluster

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// cutProxy forwards TCP to a target until cut, like a cable that can be
// pulled and plugged back: cut closes every connection and refuses new
// ones; heal accepts again on the same address.
type cutProxy struct {
	t      *testing.T
	addr   string
	target string
	rate   int // bytes per second towards the client; 0: unlimited

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string, rate int) *cutProxy {
	p := &cutProxy{t: t, target: target, rate: rate}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) url() string { return "nats://" + p.addr }

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _ = p.copyDown(c, up); c.Close() }()
		}
	}()
}

// copyDown copies server → client, at p.rate when set: a slow link.
func (p *cutProxy) copyDown(dst, src net.Conn) error {
	if p.rate == 0 {
		_, err := io.Copy(dst, src)
		return err
	}
	buf := make([]byte, 16<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return werr
			}
			time.Sleep(time.Duration(k) * time.Second / time.Duration(p.rate))
		}
		if err != nil {
			return err
		}
	}
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) heal() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}
