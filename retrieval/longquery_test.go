package retrieval

import (
	"strings"
	"testing"
)

// argumentQuery is a 300-word question: an argument whose counter-argument
// is wanted (the shape of argument-retrieval benchmarks).
const argumentQuery = `Zoos should be banned because keeping wild animals in captivity is cruel and
serves no purpose that could not be achieved in better ways. Animals such as elephants, tigers and
orcas roam over enormous distances in the wild, yet in a zoo they are confined to enclosures that are a
tiny fraction of their natural range. Many of them develop repetitive behaviours, pacing and swaying
for hours, which scientists recognise as signs of chronic stress and boredom. Elephants in zoos live
shorter lives than elephants in the wild, and big cats show high rates of infant mortality when they
are kept in captivity. Supporters of zoos say that they educate the public, but most visitors spend
only a few minutes at each enclosure and leave knowing little more than before; documentaries and
sanctuaries teach far more about how animals really live. They also say that zoos protect endangered
species, yet only a small share of the animals kept in zoos belong to endangered species, and
breeding programmes rarely return animals to the wild because the habitats they need have been
destroyed. The money spent on keeping animals in zoos would do more good if it were spent protecting
habitats directly, funding rangers and fighting poaching. Zoos exist mainly to entertain paying
visitors and to make a profit, treating living creatures as exhibits. A society that takes animal
welfare seriously should not accept that wild animals spend their whole lives behind bars for our
amusement. Banning zoos would not mean abandoning the animals that already live there: they could be
moved to sanctuaries where they have far more space and are not on display. Governments should phase
zoos out over the coming decade, stop all breeding of wild animals for display, and redirect public
funding towards the conservation of animals in their natural habitats, where they belong and where
they can live according to their nature.`

// debatePassages are counter-arguments from several debates; the first
// answers the zoo argument.
var debatePassages = []string{
	`Modern zoos are essential to conservation: accredited zoos run breeding programmes for endangered
species, keep insurance populations of animals whose wild habitats are disappearing, and have returned
species such as the Arabian oryx and the California condor to the wild. Zoos also fund field
conservation and research into animal health and behaviour that helps wild populations, and
enclosures today are designed to meet the welfare needs of the animals they keep.`,
	`School uniforms do not stifle individuality: pupils express themselves through their work, their
friendships and their activities. Uniforms reduce the pressure on families to buy expensive clothes,
make bullying over brands less likely, and help a school build a sense of community.`,
	`Nuclear power is one of the safest and cleanest sources of electricity: it emits almost no carbon
dioxide, runs regardless of the weather, and modern reactors are designed so that accidents like those
of the past cannot happen. Governments should fund new plants to meet climate targets.`,
	`Social media connects people across distances, gives a voice to those who were never heard in
traditional media, and helps communities organise. The harms people point to come from how some
platforms are designed, which regulation can change, not from social media itself.`,
	`A four-day working week would let employees spend more time with their families and reduce burnout,
and trials show that productivity often stays the same. Governments should encourage employers to try
it, with the same pay for fewer hours.`,
	`Public money spent on space exploration pays for itself: it drives research in materials, medicine and
computing, inspires young people to study science, and satellites protect lives through weather
forecasts. Society should keep funding it even when budgets are tight.`,
}

// TestLongArgumentQuery: a 300-word argument finds its counter-argument
// first, in every mode, among passages that share its general words
// (society, governments, funding, animals, public).
func TestLongArgumentQuery(t *testing.T) {
	if n := len(strings.Fields(argumentQuery)); n < 280 || n > 320 {
		t.Fatalf("the query has %d words, want about 300", n)
	}
	ix := NewIndex(nil, Options{})
	var chunks []Chunk
	for i, p := range debatePassages {
		chunks = append(chunks, Chunk{ID: uint64(i + 1), DocumentID: uint64(i + 1), Text: p})
	}
	addAll(t, ix, chunks)
	for _, mode := range allModes {
		hits := search(t, ix, Query{Text: argumentQuery, TopK: 3, Mode: mode})
		if len(hits) == 0 || hits[0].DocumentID != 1 {
			t.Errorf("%s: got %+v, want the zoo counter-argument first", mode, hits)
		}
	}
}
