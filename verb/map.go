package verb

// mapped finishes a MapText: f's error as is, else the copy re-validated,
// since filled-in templates can bring in anything.
func mapped(verb string, s Spec, err error) (Spec, error) {
	if err != nil {
		return nil, err
	}
	if cerr := s.(validator).check(); cerr != nil {
		return nil, &InvalidReplyError{Msg: verb + ": " + cerr.Error(), cause: cerr}
	}
	return s, nil
}

// mapStrings applies f to each string in turn.
func mapStrings(f func(string) (string, error), ps ...*string) error {
	for _, p := range ps {
		v, err := f(*p)
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}
