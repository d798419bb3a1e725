package config

import (
	"maps"
	"testing"
)

func TestWeights(t *testing.T) {
	tests := []struct {
		in      []string
		want    map[string]float64
		wantErr bool
	}{
		{in: nil, want: map[string]float64{}},
		{in: []string{"Scans@Example.org = 3", "boss@example.org=1.5"}, want: map[string]float64{"scans@example.org": 3, "boss@example.org": 1.5}},
		{in: []string{"scans@example.org"}, wantErr: true},
		{in: []string{"=2"}, wantErr: true},
		{in: []string{"scans@example.org=0"}, wantErr: true},
		{in: []string{"scans@example.org=-1"}, wantErr: true},
		{in: []string{"scans@example.org=101"}, wantErr: true},
		{in: []string{"scans@example.org=NaN"}, wantErr: true},
		{in: []string{"a@example.org=2", "A@example.org=3"}, wantErr: true},
	}
	for _, tc := range tests {
		got, err := Limits{UserWeights: tc.in}.Weights()
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && !maps.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}
