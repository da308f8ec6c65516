package store

import "testing"

func TestQuotaOverrideApply(t *testing.T) {
	def := Quota{Documents: 10, Bytes: 100, Chunks: 1000}
	n, zero := int64(3), int64(0)
	if got := (*QuotaOverride)(nil).Apply(def); got != def {
		t.Errorf("no override: %+v", got)
	}
	if got := (&QuotaOverride{Documents: &n, Chunks: &zero}).Apply(def); got != (Quota{Documents: 3, Bytes: 100}) {
		t.Errorf("override: %+v", got)
	}
}
