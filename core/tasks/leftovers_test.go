package tasks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/tasks"
)

// steps records the removals asked for, in order, failing those told to.
type steps struct {
	done               []string
	filesErr, entryErr error
}

func (s *steps) RemoveTask(_ context.Context, userID, taskID string) error {
	s.done = append(s.done, "files "+userID+"/"+taskID)
	return s.filesErr
}

func (s *steps) Delete(_ context.Context, taskID string) error {
	s.done = append(s.done, "entry "+taskID)
	return s.entryErr
}

// TestRemoveLeftovers: files first, then the search entry; each step runs
// whatever the other did, and the error names what is left and why.
func TestRemoveLeftovers(t *testing.T) {
	t.Parallel()
	disk, index := errors.New("disk says no"), errors.New("index says no")
	both := []string{"files u1/t1", "entry t1"}
	tests := []struct {
		name            string
		filesErr, ixErr error
		noIndex         bool
		want            []string
		wantMsg         []string // parts of the message; nil: no error
	}{
		{"both removed", nil, nil, false, both, nil},
		{"files stay", disk, nil, false, both, []string{"remove files of task t1: disk says no"}},
		{"entry stays", nil, index, false, both, []string{"remove search entry of task t1: index says no"}},
		{"both stay", disk, index, false, both, []string{"files of task t1: disk", "search entry of task t1: index"}},
		{"no index: files only", nil, nil, true, []string{"files u1/t1"}, nil},
		{"no index, files stay", disk, nil, true, []string{"files u1/t1"}, []string{"remove files of task t1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &steps{filesErr: tt.filesErr, entryErr: tt.ixErr}
			var ix tasks.Deindexer = s
			if tt.noIndex {
				ix = nil
			}
			err := tasks.RemoveLeftovers(context.Background(), s, ix, "u1", "t1")
			if !slices.Equal(s.done, tt.want) {
				t.Errorf("steps %q, want %q", s.done, tt.want)
			}
			if tt.wantMsg == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			var left *tasks.LeftoversError
			if !errors.As(err, &left) || left.TaskID != "t1" || left.Files != tt.filesErr || left.Entry != tt.ixErr {
				t.Fatalf("err = %#v, want a LeftoversError of t1 (%v, %v)", err, tt.filesErr, tt.ixErr)
			}
			for _, cause := range []error{tt.filesErr, tt.ixErr} {
				if cause != nil && !errors.Is(err, cause) {
					t.Errorf("errors.Is(%v, %v) is false", err, cause)
				}
			}
			for _, part := range tt.wantMsg {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q lacks %q", err, part)
				}
			}
		})
	}
}
