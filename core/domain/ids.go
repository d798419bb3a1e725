package domain

// ValidID reports whether s is a canonical lower-case UUID string, the only
// spelling of an id that storage accepts (keys and paths are built from
// ids, so one id must have exactly one spelling).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
