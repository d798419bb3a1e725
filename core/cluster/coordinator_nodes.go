package cluster

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// watchNodes follows the nodes bucket until ctx ends, and every half
// heartbeat marks the nodes silent for NodeTTL as lost.
func (c *Coordinator) watchNodes(ctx context.Context, w jetstream.KeyWatcher) {
	tick := time.NewTicker(c.t.Heartbeat / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil {
				// Local time, not the entry's: the nodes' and the NATS
				// server's clocks do not matter.
				c.onPresence(e, time.Now())
			}
		case now := <-tick.C:
			c.expire(now)
		}
	}
}

// onPresence applies one update of the nodes bucket seen at seen.
func (c *Coordinator) onPresence(e jetstream.KeyValueEntry, seen time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[e.Key()]
	if e.Operation() != jetstream.KeyValuePut {
		if n != nil && n.up {
			n.up = false
			c.log.Info("worker node left", "node", n.st.Name)
			c.signal()
		}
		return
	}
	p, infos, err := decodePresence(e.Value())
	if err != nil {
		c.log.Warn("ignoring a malformed node status", "key", e.Key(), "error", err)
		return
	}
	if n == nil {
		n = &nodeEntry{}
		c.nodes[e.Key()] = n
	}
	wasUp, oldSlots, oldEngines := n.up, n.st.Slots, n.st.Engines
	n.st, n.infos, n.lastSeen, n.holding = p.NodeStatus, infos, seen, p.Holding
	n.up = !p.Stopped && time.Since(seen) < c.t.NodeTTL
	switch {
	case n.up && !wasUp:
		c.log.Info("worker node joined", "node", n.st.Name, "host", n.st.Host, "engines", n.st.Engines,
			"slots", n.st.Slots, "version", n.st.Version)
		// A restarted node replaces its earlier runs in the list.
		for k, o := range c.nodes {
			switch {
			case o == n || o.st.Name != n.st.Name:
			case !o.up:
				delete(c.nodes, k)
			default:
				c.log.Warn("two worker nodes share one name: give each its own (ocrbox worker --name)",
					"node", n.st.Name, "hosts", []string{o.st.Host, n.st.Host})
			}
		}
		c.signal()
	case !n.up && wasUp:
		c.log.Info("worker node left", "node", n.st.Name)
		c.signal()
	case n.up && (oldSlots != n.st.Slots || !slices.Equal(oldEngines, n.st.Engines)):
		c.signal()
	}
}

// expire marks the nodes silent for NodeTTL as lost and forgets those
// lost for longer than lostKept.
func (c *Coordinator) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.nodes {
		age := now.Sub(n.lastSeen)
		if n.up && age >= c.t.NodeTTL {
			n.up = false
			c.lost.Add(1)
			c.log.Warn("worker node lost: no heartbeat", "node", n.st.Name, "silent", age.Round(time.Millisecond),
				"busy", n.st.Busy)
			c.signal()
			// Its pages go to another node now rather than after AckWait. A
			// NAK for a job that was finished meanwhile is ignored, and one
			// for a node that was only cut off costs a duplicate at worst.
			for _, ack := range n.holding {
				if strings.HasPrefix(ack, "$JS.ACK.") && strings.Contains(ack, "."+jobsStream+".") {
					_ = c.nc.Publish(ack, []byte("-NAK"))
				}
			}
			n.holding = nil
		}
		if !n.up && age >= lostKept {
			delete(c.nodes, k)
		}
	}
}

// Slots is the number of page slots the live nodes offer in all.
func (c *Coordinator) Slots() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, n := range c.nodes {
		if n.up {
			total += n.st.Slots
		}
	}
	return total
}

// Free reports how many more pages for engine may be sent now without
// waiting in the queue: the slots of the live nodes running engine, less
// the pages in flight that may occupy them (those of every engine that
// shares a node with engine — counted in full, so Free errs on the low
// side when nodes run different engine sets).
func (c *Coordinator) Free(engine string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.freeLocked(engine)
}

func (c *Coordinator) freeLocked(engine string) int {
	slots := 0
	shares := map[string]bool{} // engines on the same nodes as engine
	for _, n := range c.nodes {
		if n.up && slices.Contains(n.st.Engines, engine) {
			slots += n.st.Slots
			for _, e := range n.st.Engines {
				shares[e] = true
			}
		}
	}
	used := 0
	for e, k := range c.inflight {
		if shares[e] {
			used += k
		}
	}
	return max(slots-used, 0)
}

// runs reports whether a live node runs engine.
func (c *Coordinator) runs(engine string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.up && slices.Contains(n.st.Engines, engine) {
			return true
		}
	}
	return false
}

// Infos are the engines the live nodes run, merged by name: languages and
// outputs are those every node running the engine has (see mergeInfos).
func (c *Coordinator) Infos() []*sdk.EngineInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	var per [][]*sdk.EngineInfo
	for _, n := range c.nodes {
		if n.up {
			per = append(per, n.infos)
		}
	}
	return mergeInfos(per)
}

// Nodes lists the live nodes and those lost in the last 10 minutes, by name.
func (c *Coordinator) Nodes() []NodeStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]NodeStatus, 0, len(c.nodes))
	for _, n := range c.nodes {
		st := n.st
		st.Engines = slices.Clone(st.Engines)
		st.LastSeen, st.Up = n.lastSeen, n.up
		out = append(out, st)
	}
	sortNodes(out)
	return uniqueNames(out)
}

func sortNodes(ns []NodeStatus) {
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].Name != ns[j].Name {
			return ns[i].Name < ns[j].Name
		}
		return ns[i].Started.Before(ns[j].Started)
	})
}
