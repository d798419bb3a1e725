package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// presence is what a node puts into the nodes bucket every heartbeat,
// under the key nodeKey(name, instance).
type presence struct {
	NodeStatus
	// Infos are the node's engines (protojson EngineInfo each).
	Infos []json.RawMessage `json:"infos"`
	// Holding are the ack subjects of the jobs the node runs (see
	// Coordinator.expire).
	Holding []string `json:"holding,omitempty"`
	// Stopped says goodbye: the node shut down cleanly and takes no more pages.
	Stopped bool `json:"stopped,omitempty"`
}

// nodeKey is a node's key in the nodes bucket. The instance part keeps two
// runs of one node (a restart before the old entry expired) apart.
func nodeKey(name, instance string) string { return token(name) + "." + instance }

func encodePresence(st NodeStatus, infos []*sdk.EngineInfo, holding []string, stopped bool) ([]byte, error) {
	p := presence{NodeStatus: st, Holding: holding, Stopped: stopped}
	for _, in := range infos {
		b, err := protojson.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode engine info: %w", err)
		}
		p.Infos = append(p.Infos, b)
	}
	return json.Marshal(p)
}

func decodePresence(data []byte) (*presence, []*sdk.EngineInfo, error) {
	var p presence
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, nil, fmt.Errorf("decode node status: %w", err)
	}
	infos := make([]*sdk.EngineInfo, 0, len(p.Infos))
	for _, raw := range p.Infos {
		in := &sdk.EngineInfo{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, in); err != nil {
			return nil, nil, fmt.Errorf("decode engine info: %w", err)
		}
		infos = append(infos, in)
	}
	return &p, infos, nil
}

// mergeInfos merges the engine infos of several nodes by name. Any node
// running an engine may get any of its pages (the queue is shared), so an
// engine offers only the languages and outputs every such node has.
func mergeInfos(perNode [][]*sdk.EngineInfo) []*sdk.EngineInfo {
	byName := map[string]*sdk.EngineInfo{}
	for _, infos := range perNode {
		for _, in := range infos {
			m, ok := byName[in.GetName()]
			if !ok {
				byName[in.GetName()] = proto.Clone(in).(*sdk.EngineInfo)
				continue
			}
			m.Languages = intersect(m.Languages, in.GetLanguages())
			m.Outputs = intersect(m.Outputs, in.GetOutputs())
			m.AcceptsPath = m.AcceptsPath && in.GetAcceptsPath()
		}
	}
	out := make([]*sdk.EngineInfo, 0, len(byName))
	for _, in := range byName {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

func intersect(a, b []string) []string {
	out := a[:0:0]
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
