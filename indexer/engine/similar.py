"""Reused text: for each paragraph, the paragraphs of other reports that share most of its text.

The similarity of two paragraphs is the Jaccard index of their sets of SHINGLE-character
shingles, taken from the normalised text (normalize.py) without its clause marks, so
full or half width, punctuation and spacing never hide a copy. Five characters are
two or three Chinese words: a shared shingle is shared wording (every report has 法治
and 政府), and one changed character spoils at most five shingles.

Only body paragraphs of at least MIN_CHARS compared characters take part: titles,
headings, dates and signature lines are alike in every report and say nothing of copying.

The build lists, for every paragraph, the paragraphs of other reports whose similarity
it estimates at THRESHOLD or more, without comparing all pairs:

1. a MinHash signature of HASHES values per paragraph (value j is the least of
   `a_j·x + b_j mod 2³²` over the paragraph's 32-bit shingle hashes x; fixed seed),
   computed with its chunk in the analysis processes;
2. locality-sensitive hashing: the signature is cut into BANDS bands of ROWS values,
   and paragraphs that agree on a whole band become candidates. A pair of similarity
   s becomes a candidate with probability 1 − (1 − s⁴)³²: 0.87 at 0.5, 0.99 at 0.6,
   1.00 from 0.7 (0.23 at 0.3, 0.005 at 0.1). In a band bucket of more than SPAN + 1
   paragraphs (a text copied very widely) each is paired only with its SPAN
   neighbours on either side, in paragraph order, so the work stays linear; such
   paragraphs are flagged `more`, as are those with more than MAX_MATCHES matches;
3. candidates from the same report are dropped; the rest are kept when their
   signatures agree on at least THRESHOLD of the values (the estimate's standard
   deviation is at most 0.044; values are compared by their low 16 bits);
4. each paragraph keeps its best MAX_MATCHES (by the estimate, ties in paragraph order).

Looking a paragraph up (research/similar.py) reads its list and computes the exact similarity of each entry
from the two texts; that is the similarity shown, and lists are ordered by it. Listing
by the estimate makes the threshold soft: on the benchmark's corpus (bench/similar_cost.py)
every pair at 0.8 or more is listed and 84-90% of those at 0.5 or more, while 16-17% of
the listed pairs are exactly between 0.4 and 0.5 (0.4% under 0.4). Computing the exact
similarity of every candidate instead would cost minutes at a million paragraphs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.engine import layout
from indexer.text.normalize import KEPT_MARKS

SHINGLE = 5
MIN_CHARS = 20
HASHES = 128
BANDS = 32
ROWS = HASHES // BANDS
THRESHOLD = 0.5
SPAN = 50
MAX_MATCHES = 50
#: The kind of paragraph that is compared (report.py): not titles, headings, headers or closings.
COMPARED_KIND = "body"
#: Signature values that must agree for a pair to be listed.
AGREE = math.ceil(THRESHOLD * HASHES)
FILES = ("offsets", "pids", "agree", "more", "compared")
_SEED = 20_110_506
_SEP = ord("\n")


def compared_text(norm: str) -> str:
    """A normalised text as compared: without the clause marks that normalisation keeps."""
    for mark in KEPT_MARKS:
        norm = norm.replace(mark, "")
    return norm


def shingles(norm: str) -> set[str]:
    """The SHINGLE-character shingles of a normalised text (the reference definition)."""
    text = compared_text(norm)
    return {text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def jaccard(norm_a: str, norm_b: str) -> float:
    """The similarity of two normalised texts: the Jaccard index of their shingle sets."""
    a, b = shingles(norm_a), shingles(norm_b)
    return len(a & b) / len(a | b) if a or b else 0.0


# -- sketches (in the analysis processes) ----------------------------------------------------------


def _mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place: every input bit moves every output bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def shingle_hashes(norms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the shingles of normalised texts, text after text in order, and their counts."""
    if not norms:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    codes = np.frombuffer((compared_text("\n".join(norms)) + "\n").encode("utf-32-le"), np.uint32)
    ends = np.flatnonzero(codes == _SEP)
    counts = np.maximum(np.diff(ends, prepend=-1) - SHINGLE, 0)
    n = len(codes) - SHINGLE + 1
    if n <= 0 or not counts.any():
        return np.zeros(0, np.uint64), counts
    wide = codes.astype(np.uint64)
    h = wide[:n].copy()
    for i in range(1, SHINGLE):
        h *= np.uint64(0x100000001B3)
        h += wide[i : i + n]
    seps = np.zeros(len(codes) + 1, np.int32)
    np.cumsum(codes == _SEP, out=seps[1:])
    inside = seps[SHINGLE : SHINGLE + n] == seps[:n]  # no separator in the window
    return _mix(h[inside]), counts


def _hash_functions() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(0, 1 << 32, HASHES, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 1 << 32, HASHES, dtype=np.uint64).astype(np.uint32)
    return a, b


_A, _B = _hash_functions()


def signatures(norms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (len(norms) × HASHES, uint32) and whether each text is long enough to compare."""
    hashes, counts = shingle_hashes(norms)
    sig = np.zeros((len(norms), HASHES), np.uint32)
    long_enough = counts >= MIN_CHARS - SHINGLE + 1
    present = counts > 0
    if present.any():
        starts = (np.cumsum(counts) - counts)[present]
        x = (hashes >> np.uint64(32)).astype(np.uint32)
        values = np.empty(len(x), np.uint32)
        mins = np.empty((HASHES, len(starts)), np.uint32)
        for j in range(HASHES):
            np.multiply(x, _A[j], out=values)
            values += _B[j]
            mins[j] = np.minimum.reduceat(values, starts)
        sig[present] = mins.T
    return sig, long_enough


@dataclass
class Sketch:
    """What the analysis of a chunk hands the build: per paragraph, its band keys (BANDS × n,
    uint64), its signature's low 16 bits (n × HASHES) and whether it is long enough to compare."""

    keys: np.ndarray
    values: np.ndarray
    long_enough: np.ndarray


def sketch(norms: list[str]) -> Sketch:
    """The similarity sketch of a chunk of normalised texts."""
    sig, long_enough = signatures(norms)
    return Sketch(band_keys(sig), sig.astype(np.uint16), long_enough)


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key per band of each signature, band by band (BANDS × len(sig))."""
    keys = np.zeros((BANDS, len(sig)), np.uint64)
    for band in range(BANDS):
        key = keys[band]
        for r in range(band * ROWS, band * ROWS + ROWS):
            key *= np.uint64(0x9E3779B97F4A7C15)
            key += sig[:, r]
        _mix(key)
    return keys


# -- pairs (in the build) --------------------------------------------------------------------------


@dataclass
class PairCounts:
    """How many pairs each step of the build handled (for the benchmark)."""

    compared: int = 0
    candidates: int = 0
    other_reports: int = 0
    listed: int = 0
    more: int = 0


def candidate_pairs(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of ids that share a band key, as sorted distinct (a << 32 | b) with a < b; and the
    ids that were not paired with every member of a crowded bucket.

    ids must be ascending; keys[band, i] is the key of paragraph i in that band (all
    paragraphs, of which ids are those compared).
    """
    ids64 = ids.astype(np.int64)
    found: list[np.ndarray] = []
    cut: list[np.ndarray] = []
    for band in range(len(keys)):
        band_keys_ = keys[band, ids]
        order = np.argsort(band_keys_, kind="stable")  # equal keys stay in id order
        ordered = band_keys_[order]
        start = np.ones(len(ids), bool)
        start[1:] = ordered[1:] != ordered[:-1]
        sizes = np.diff(np.append(np.flatnonzero(start), len(ids)))
        order = order[np.repeat(sizes > 1, sizes)]  # members of buckets of two or more
        sizes = sizes[sizes > 1]
        size = np.repeat(sizes, sizes)
        pos = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        cut.append(ids[order[(pos > SPAN) | (size - 1 - pos > SPAN)]])
        active = np.arange(len(order))
        for d in range(1, SPAN + 1):
            active = active[pos[active] + d < size[active]]
            if len(active) == 0:
                break
            found.append(ids64[order[active]] << 32 | ids64[order[active + d]])
    pairs = _distinct(np.concatenate(found)) if found else np.zeros(0, np.int64)
    more = _distinct(np.concatenate(cut)) if cut else np.zeros(0, ids.dtype)
    return pairs, more


def _distinct(values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    keep = np.ones(len(values), bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def agreement(values: np.ndarray, a: np.ndarray, b: np.ndarray, batch: int = 200_000) -> np.ndarray:
    """On how many signature values each pair (a[i], b[i]) agrees."""
    out = np.empty(len(a), np.uint8)
    for lo in range(0, len(a), batch):
        hi = lo + batch
        out[lo:hi] = np.count_nonzero(values[a[lo:hi]] == values[b[lo:hi]], axis=1)
    return out


def find_pairs(
    sketches: list[Sketch], kinds: list[str], report: np.ndarray, counts: PairCounts | None = None
) -> tuple[np.ndarray, ...]:
    """The pairs (a < b) of compared paragraphs of different reports whose signatures agree on at
    least AGREE values: a, b, the agreement, and the ids whose pairing was cut short; and which
    paragraphs were compared."""
    counts = counts if counts is not None else PairCounts()
    long_enough = np.concatenate([s.long_enough for s in sketches]) if sketches else np.zeros(0, bool)
    compared = long_enough & np.fromiter((k == COMPARED_KIND for k in kinds), bool, len(kinds))
    ids = np.flatnonzero(compared).astype(np.int32)
    keys = np.concatenate([s.keys for s in sketches], axis=1) if sketches else np.zeros((BANDS, 0), np.uint64)
    pairs, crowded = candidate_pairs(keys, ids)
    del keys
    a = (pairs >> 32).astype(np.int32)
    b = (pairs & 0xFFFFFFFF).astype(np.int32)
    del pairs
    other = report[a] != report[b]
    a, b = a[other], b[other]
    values = np.concatenate([s.values for s in sketches]) if sketches else np.zeros((0, HASHES), np.uint16)
    agree = agreement(values, a, b)
    keep = agree >= AGREE
    counts.compared, counts.candidates, counts.other_reports, counts.listed = (
        len(ids),
        len(other),
        len(a),
        int(keep.sum()),
    )
    return a[keep], b[keep], agree[keep], crowded, compared


def match_lists(count: int, a: np.ndarray, b: np.ndarray, agree: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each paragraph's best MAX_MATCHES matches: (offsets, pids, agreement, has more)."""
    src = np.concatenate((a, b)).astype(np.int64)
    dst = np.concatenate((b, a)).astype(np.int32)
    score = np.concatenate((agree, agree))
    order = np.lexsort((dst, -score.astype(np.int16), src))
    src, dst, score = src[order], dst[order], score[order]
    per = np.bincount(src, minlength=count)
    rank = np.arange(len(src)) - np.repeat(np.cumsum(per) - per, per)
    keep = rank < MAX_MATCHES
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(np.minimum(per, MAX_MATCHES), out=offsets[1:])
    return offsets, dst[keep], score[keep], per > MAX_MATCHES


def write(
    directory: Path, sketches: list[Sketch], kinds: list[str], report: np.ndarray, counts: PairCounts | None = None
) -> None:
    """Find the similar paragraphs of a segment and write their lists to directory, with the band keys
    and signature values of its compared paragraphs (for linking it to later segments).

    sketches are those of the analysis chunks, in paragraph order; kinds and report
    (the report position of each paragraph) cover the same paragraphs.
    """
    a, b, agree, crowded, compared = find_pairs(sketches, kinds, report, counts)
    offsets, pids, agree, more = match_lists(len(kinds), a, b, agree)
    more[crowded] = True
    if counts is not None:
        counts.more = int(more.sum())
    for name, array in zip(FILES, (offsets, pids, agree, more, compared)):
        np.save(layout.part(directory, layout.SIMILAR, f"{name}.npy"), array)
    ids = np.flatnonzero(compared)
    keys = np.concatenate([s.keys for s in sketches], axis=1) if sketches else np.zeros((BANDS, 0), np.uint64)
    values = np.concatenate([s.values for s in sketches]) if sketches else np.zeros((0, HASHES), np.uint16)
    np.save(layout.part(directory, layout.SKETCH, "keys.npy"), np.ascontiguousarray(keys[:, ids]))
    np.save(layout.part(directory, layout.SKETCH, "values.npy"), values[ids])
    np.save(layout.part(directory, layout.SIMILAR, "links.npy"), np.zeros((3, 0), np.int64))
    np.save(layout.part(directory, layout.SIMILAR, "cut.npy"), np.zeros(0, np.int64))


def _among(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which keys are among wanted: a table of their low 16 bits first, so that a million keys
    looked up among a report's few cost a pass over them rather than a sort."""
    table = np.zeros(1 << 16, bool)
    table[wanted.view(np.uint16)[::4]] = True  # 16 bits of each key (the low ones on this machine)
    maybe = np.flatnonzero(table[keys.view(np.uint16)[::4]])
    out = np.zeros(len(keys), bool)
    out[maybe] = np.isin(keys[maybe], wanted)
    return out


def link(folders: list[Path], bases: np.ndarray, live: np.ndarray) -> int:
    """List the similar pairs between the last segment's paragraphs and the live paragraphs of the
    segments before it, in the last segment's folder (similar.links.npy: global ids a < b and their
    agreement; similar.cut.npy the ids whose pairing a crowded bucket cut short); returns how many pairs.

    With each segment's own lists, every pair a build of all segments as one would list is then
    listed (but in buckets of more than SPAN + 1 paragraphs, where each is paired with its SPAN
    neighbours in id order). Only buckets holding a paragraph of the last segment are formed: an
    earlier paragraph takes part when it shares a band key with one of them.
    """
    last = len(folders) - 1
    ids, keys, values = [], [], []
    for k, folder in enumerate(folders):
        compared = np.flatnonzero(np.load(layout.part(folder, layout.SIMILAR, "compared.npy")))
        ids.append(compared + int(bases[k]))
        keys.append(np.load(layout.part(folder, layout.SKETCH, "keys.npy")))
        values.append(np.load(layout.part(folder, layout.SKETCH, "values.npy"), mmap_mode="r"))
    new_keys = keys[last]
    for k in range(last):  # an earlier paragraph that is live and shares a band key with a new one
        useful = live[ids[k]].copy()
        shares = np.zeros(len(ids[k]), bool)
        for band in range(BANDS):
            shares |= _among(keys[k][band], new_keys[band])
        useful &= shares
        ids[k], keys[k], values[k] = ids[k][useful], keys[k][:, useful], np.asarray(values[k])[useful]
    values[last] = np.asarray(values[last])
    first_new = sum(len(i) for i in ids[:last])
    all_keys = np.concatenate(keys, axis=1)
    pairs, crowded = candidate_pairs(all_keys, np.arange(all_keys.shape[1], dtype=np.int32))
    del all_keys
    a = (pairs >> 32).astype(np.int64)
    b = (pairs & 0xFFFFFFFF).astype(np.int64)
    across = (a < first_new) & (b >= first_new)  # pairs within the last segment are in its own lists
    a, b = a[across], b[across]
    agree = agreement(np.concatenate(values), a, b)
    keep = agree >= AGREE
    glob = np.concatenate(ids).astype(np.int64)
    links = np.stack([glob[a[keep]], glob[b[keep]], agree[keep].astype(np.int64)])
    np.save(layout.part(folders[last], layout.SIMILAR, "links.npy"), links)
    np.save(layout.part(folders[last], layout.SIMILAR, "cut.npy"), glob[crowded])
    return links.shape[1]


# -- reading -------------------------------------------------------------------------------------


class SimilarIndex:
    """The stored lists of one segment: per paragraph, the paragraphs of other reports it shares most
    text with (parts.SimilarLists)."""

    def __init__(
        self, offsets: np.ndarray, pids: np.ndarray, agree: np.ndarray, more: np.ndarray, compared: np.ndarray
    ):
        self._offsets, self._pids, self._agree, self._more, self._compared = offsets, pids, agree, more, compared

    @classmethod
    def load(cls, directory: Path) -> "SimilarIndex":
        return cls(*(np.load(layout.part(directory, layout.SIMILAR, f"{name}.npy"), mmap_mode="r") for name in FILES))

    def scored(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        """The paragraph ids listed for pid and the signature values each agrees on, best first."""
        lo, hi = int(self._offsets[pid]), int(self._offsets[pid + 1])
        return np.asarray(self._pids[lo:hi]), np.asarray(self._agree[lo:hi])

    def listed(self, pid: int) -> np.ndarray:
        """The paragraph ids listed as similar to pid."""
        return np.asarray(self._pids[int(self._offsets[pid]) : int(self._offsets[pid + 1])])

    def counts(self, first: int, stop: int) -> np.ndarray:
        """How many paragraphs are listed for each paragraph from first up to stop."""
        return np.diff(np.asarray(self._offsets[first : stop + 1]))

    def counts_of(self, pids: np.ndarray) -> np.ndarray:
        pids = np.asarray(pids, np.int64)
        return np.asarray(self._offsets[pids + 1]) - np.asarray(self._offsets[pids])

    def compared(self, pids: np.ndarray) -> np.ndarray:
        return np.asarray(self._compared)[np.asarray(pids, np.int64)]

    def more(self, pids: np.ndarray) -> np.ndarray:
        return np.asarray(self._more)[np.asarray(pids, np.int64)]

    def size(self) -> int:
        return len(self._compared)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        offsets = np.asarray(self._offsets)
        a = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
        return a, np.asarray(self._pids, np.int64)


def load_links(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    """A segment's links to the segments before it (3 × n: a, b, agreement) and its cut ids (link)."""
    return (
        np.load(layout.part(directory, layout.SIMILAR, "links.npy")),
        np.load(layout.part(directory, layout.SIMILAR, "cut.npy")),
    )
