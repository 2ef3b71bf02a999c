package casedesk

// maxMergeHops bounds how far LinkBelongs follows merged duplicates.
const maxMergeHops = 8

// LinkBelongs reports whether a customer link issued to customer issuedTo
// still belongs to case c: c's customer is issuedTo, or issuedTo is a
// duplicate merged (directly or through other merges) into c's customer,
// which is the same person. An empty issuedTo is a link from before links
// named their customer, taken until it expires. mergedInto returns the
// customer a customer was merged into ("" if none).
func LinkBelongs(c Case, issuedTo string, mergedInto func(id string) (string, error)) (bool, error) {
	if issuedTo == "" || issuedTo == c.CustomerID {
		return true, nil
	}
	id := issuedTo
	for range maxMergeHops {
		next, err := mergedInto(id)
		if err != nil || next == "" {
			return false, err
		}
		if next == c.CustomerID {
			return true, nil
		}
		id = next
	}
	return false, nil
}
