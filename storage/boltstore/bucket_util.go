package boltstore

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// getJSON decodes the value at key into v; found is false when key is absent.
func getJSON(b *bolt.Bucket, key []byte, v any) (found bool, err error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// putJSON encodes v and stores it at key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put(key, raw)
}

// prefixKeys returns copies of the keys of b that start with prefix, in
// ascending order. Collecting first lets callers delete while walking.
func prefixKeys(b *bolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// walkPrefix calls fn for each key of b starting with prefix, ascending or
// descending, until fn returns stop or an error. k and v are only valid
// inside fn.
func walkPrefix(b *bolt.Bucket, prefix []byte, desc bool, fn func(k, v []byte) (stop bool, err error)) error {
	return walkRange(b, prefix, prefixEnd(prefix), desc, fn)
}

// walkRange calls fn for each key of b in [low, high) (high nil: no upper
// bound), ascending or descending, until fn returns stop or an error.
func walkRange(b *bolt.Bucket, low, high []byte, desc bool, fn func(k, v []byte) (stop bool, err error)) error {
	c := b.Cursor()
	var k, v []byte
	switch {
	case !desc:
		k, v = c.Seek(low)
	case high == nil:
		k, v = c.Last()
	default:
		if k, v = c.Seek(high); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for k != nil && bytes.Compare(k, low) >= 0 && (high == nil || bytes.Compare(k, high) < 0) {
		stop, err := fn(k, v)
		if err != nil || stop {
			return err
		}
		if desc {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with the prefix,
// or nil when there is none (prefix is all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
