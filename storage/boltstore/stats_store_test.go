package boltstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

var statuses = []domain.TaskStatus{
	domain.StatusPending, domain.StatusProcessing, domain.StatusCompleted,
	domain.StatusFailed, domain.StatusCancelled,
}

// TestStatsNeverDrift runs random sequences of every task-changing
// operation and compares user_stats (and every index) with a full recount
// after each step.
func TestStatsNeverDrift(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed-", seed), func(t *testing.T) {
			t.Parallel()
			runRandomOps(t, seed, 250)
		})
	}
}

func runRandomOps(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	s := newStore(t)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var users []string
	tasks := map[string]string{} // task id → user id
	pickTask := func() (string, string, bool) {
		for id, u := range tasks { // map order is random enough
			return id, u, true
		}
		return "", "", false
	}
	randFile := func() domain.File {
		return domain.File{ID: NewID(), Kind: domain.KindTxt, Name: "x.txt", StoredName: "result.txt", Size: rng.Int64N(5000)}
	}
	for step := range steps {
		switch op := rng.IntN(10); {
		case op == 0 || len(users) == 0:
			users = append(users, newUser(t, s, NewID()+"@example.org").ID)
		case op <= 3:
			task := taskAt(users[rng.IntN(len(users))], time.Duration(rng.IntN(1000))*time.Second, "f.pdf")
			task.Status = statuses[rng.IntN(len(statuses))]
			task.PagesDone, task.DurationMS = rng.IntN(20), rng.Int64N(10000)
			mustCreate(t, s, task)
			tasks[task.ID] = task.UserID
		case op <= 6:
			id, u, ok := pickTask()
			if !ok {
				continue
			}
			fail := rng.IntN(8) == 0
			_, err := s.UpdateTask(ctx, u, id, func(task *domain.Task) error {
				task.Status = statuses[rng.IntN(len(statuses))]
				task.PagesDone = rng.IntN(20)
				task.DurationMS = rng.Int64N(10000)
				task.QueuedAt = task.QueuedAt.Add(time.Duration(rng.IntN(3)) * time.Second)
				switch rng.IntN(3) {
				case 0:
					task.Files = append(task.Files, randFile())
				case 1:
					task.Files = task.Files[:len(task.Files)/2]
				}
				if fail {
					return errors.New("abort")
				}
				return nil
			})
			if (err != nil) != fail {
				t.Fatalf("step %d: UpdateTask err = %v", step, err)
			}
		case op == 7:
			id, u, ok := pickTask()
			if !ok {
				continue
			}
			if _, err := s.DeleteTask(ctx, u, id); err != nil {
				t.Fatalf("step %d: DeleteTask: %v", step, err)
			}
			delete(tasks, id)
		case op == 8:
			if _, err := s.ClaimNextPending(ctx, base); err != nil {
				t.Fatalf("step %d: claim: %v", step, err)
			}
			if rng.IntN(3) == 0 {
				if _, err := s.RequeueProcessing(ctx, base); err != nil {
					t.Fatalf("step %d: requeue: %v", step, err)
				}
			}
		default:
			if rng.IntN(4) != 0 {
				continue
			}
			i := rng.IntN(len(users))
			del, err := s.DeleteUser(ctx, users[i])
			if err != nil {
				t.Fatalf("step %d: DeleteUser: %v", step, err)
			}
			for _, task := range del.Tasks {
				delete(tasks, task.ID)
			}
			users = append(users[:i], users[i+1:]...)
		}
		checkConsistency(t, s)
	}
	for _, u := range users {
		want := 0
		for _, owner := range tasks {
			if owner == u {
				want++
			}
		}
		if n, err := s.CountTasks(ctx, u); err != nil || n != want {
			t.Errorf("CountTasks(%s) = %d, %v; want %d", u, n, err, want)
		}
	}
}
