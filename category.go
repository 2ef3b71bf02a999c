package casedesk

import (
	"regexp"
	"slices"
	"strings"
)

// DefaultCategories is the list of case categories when none is configured:
// what a billing and payments desk is asked about.
var DefaultCategories = []string{
	"billing_question",
	"payment_failed",
	"double_charge",
	"refund_request",
	"plan_change",
	"account_access",
	"fraud_report",
	"other",
}

// MaxCategories bounds a configured category list.
const MaxCategories = 100

var categoryName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ParseCategories reads a comma-separated category list (empty means
// DefaultCategories) and names every bad entry.
func ParseCategories(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(DefaultCategories), nil
	}
	var v Validation
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		switch {
		case !categoryName.MatchString(name):
			v.Add("categories", "%q is not a category name (lower-case letters, digits and _, at most 64)", name)
		case slices.Contains(out, name):
			v.Add("categories", "%q is listed twice", name)
		default:
			out = append(out, name)
		}
	}
	if len(out) > MaxCategories {
		v.Add("categories", "lists %d categories; the limit is %d", len(out), MaxCategories)
	}
	return out, v.Err()
}

// CheckCategory refuses a category that is not in the list. An empty
// category is an uncategorized case; a nil list accepts any category (cases
// opened before categories were configured).
func CheckCategory(list []string, category string) error {
	if category == "" || list == nil || slices.Contains(list, category) {
		return nil
	}
	return Invalid("category", "must be one of %s", strings.Join(list, ", "))
}

// SetCategory files a case under a category of the configured list.
type SetCategory struct {
	Expect
	Category string `json:"category"`
}

// Name implements Command.
func (SetCategory) Name() string { return "category" }

func (d *decision) setCategory(cmd SetCategory, r Rules) error {
	category := CleanText(cmd.Category)
	if category == "" {
		return Invalid("category", "is required")
	}
	if err := CheckCategory(r.Categories, category); err != nil {
		return err
	}
	if category == d.c.Category {
		return Errorf(ECONFLICT, "case %s is already in category %s", d.c.ID, category)
	}
	from := d.c.Category
	d.c.Category = category
	d.emit(EventCategoryChanged, map[string]any{"from": from, "to": category})
	return nil
}

// EventCategoryChanged records a case filed under another category.
const EventCategoryChanged = "category_changed"
