package plan

// KindOrganization is the kind of a body that acted in the plan's story.
const KindOrganization Kind = "Organization"

// Organization is a body that acted in events of the plan's story: a
// government, a commission, a regulator, an exchange. Its data-file
// format, its rows and its scan all derive from its row in Model
// (Records): the fields tagged `kg` are its stored properties.
type Organization struct {
	ID     ID      `kg:"id"`
	Slug   string  `kg:"slug"`
	Name   string  `kg:"name"`
	NameZh *string `kg:"nameZh"`
	// Level is how far its remit reaches: national, provincial,
	// municipal or district.
	Level *string `kg:"level"`
}

func (n *Organization) NodeID() ID { return n.ID }
