package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ListNodes connects to the cluster at opts.URL and reads the nodes
// bucket (for `ocrbox workers`): each node seen in the last 10 minutes,
// its latest run, up while its last heartbeat is younger than the node
// TTL (judged by the NATS server's clock against this machine's).
func ListNodes(ctx context.Context, opts Options, log *slog.Logger) ([]NodeStatus, error) {
	t := opts.timing.withDefaults()
	// A command answers at once: no waiting for a server that is down.
	nc, err := connect(ctx, opts.URL, opts, "ocrbox-workers", log, false)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, nodesBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, errors.New("the cluster has no nodes bucket: is ocrbox serve (the coordinator) running on it?")
	}
	if err != nil {
		return nil, fmt.Errorf("nodes bucket: %w", err)
	}
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	now := time.Now()
	var all []NodeStatus
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read node %s: %w", k, err)
		}
		p, _, err := decodePresence(e.Value())
		if err != nil {
			continue
		}
		st := p.NodeStatus
		st.LastSeen = e.Created()
		st.Up = !p.Stopped && now.Sub(st.LastSeen) < t.NodeTTL
		all = append(all, st)
	}
	return latestRuns(all), nil
}

// latestRuns keeps, for each node name, its live runs or else its latest
// one, sorted by name; names shared by live runs are told apart.
func latestRuns(all []NodeStatus) []NodeStatus {
	byName := map[string][]NodeStatus{}
	for _, st := range all {
		byName[st.Name] = append(byName[st.Name], st)
	}
	var out []NodeStatus
	for _, runs := range byName {
		var live []NodeStatus
		latest := runs[0]
		for _, r := range runs {
			if r.Up {
				live = append(live, r)
			}
			if r.LastSeen.After(latest.LastSeen) {
				latest = r
			}
		}
		if len(live) == 0 {
			live = []NodeStatus{latest}
		}
		out = append(out, live...)
	}
	sortNodes(out)
	return uniqueNames(out)
}

// uniqueNames tells apart runs sharing a name (two machines with one host
// name: a misconfiguration, logged when they join) by their instance, so
// that metrics labelled by node do not collide.
func uniqueNames(ns []NodeStatus) []NodeStatus {
	seen := map[string]bool{}
	for i := range ns {
		if seen[ns[i].Name] {
			ns[i].Name += "~" + ns[i].Instance[:min(6, len(ns[i].Instance))]
		}
		seen[ns[i].Name] = true
	}
	return ns
}
