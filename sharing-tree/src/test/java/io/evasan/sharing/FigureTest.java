package io.evasan.sharing;

import io.evasan.sharing.sharebits.ShareBitRules;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Figs. 10-15 of seed 004 as share-bit test vectors (notes/sharing-tree-cases.md): one
 * parameterized test per figure, one row per (stage, disk): expected "Sp Ss holds" and the data
 * the disk reads (first byte of the segment; 0xA = old, 0xB = new). The bits are the stored ones
 * (holds = the stored HOLDER bit, not one derived from Ss), and every figure runs on both stores:
 * {@link InMemoryStore} ({@code MemorySegmentMaps}) and {@link RealMappingStore} ({@code MappingSegmentMaps}
 * over the real mapping and a RAID0 pool of sparse drive files).
 */
class FigureTest {

    @Nested
    class InMemoryStore extends Figures {
        @Override
        Path store() {
            return null;
        }
    }

    @Nested
    class RealMappingStore extends Figures {
        @TempDir
        Path dir;

        @Override
        Path store() {
            return dir;
        }
    }

    @ParameterizedTest(name = "Fig. 14 rule: LD.Sp={0} pred={1} predClone={2} S1.Ss={3} -> {4}")
    @CsvSource({
            "false, true, false, true, false",     // 14a: LD.Sp clear, nothing to do
            "true, false, false, false, false",    // no predecessor: clear
            "true, true, true, false, true",       // predecessor is a snapclone: keep (C0.Sp set)
            "true, true, false, true, true",       // 14b: inherit S1.Ss = 1
            "true, true, false, false, false"})    // 14c: inherit S1.Ss = 0
    void shouldApplyFigure14Rule(boolean ldSp, boolean pred, boolean predClone, boolean s1ss, boolean want) {
        assertEquals(want, ShareBitRules.successorSpAfterCloneLeaves(ldSp, pred, predClone, s1ss));
    }

    /** The figures, on the store {@link #store()} names. */
    abstract static class Figures {
        /** null: the in-memory store; else the directory of a real pool and mapping. */
        abstract Path store();

        Fixture fixture(int segments) {
            return fixture(segments, SharingConfig.defaults().withBackground(false));
        }

        Fixture fixture(int segments, SharingConfig cfg) {
            return new Fixture(segments, cfg, store());
        }


        /** Fig. 10: S0 &lt;- S1 &lt;- S2 &lt;- S3 &lt;- LD, segment untouched since the snapshots. */
        private Fixture fig10() {
            Fixture f = fixture(1).lun("LD").fill("LD", 0, 0xA);
            return f.snap("S0", "LD").snap("S1", "LD").snap("S2", "LD").snap("S3", "LD");
        }

        @ParameterizedTest(name = "Fig. 10 {0}: Sp Ss holds = {1}")
        @CsvSource({
                "S0, 0 1 0",
                "S1, 1 1 0",
                "S2, 1 1 0",
                "S3, 1 1 0",
                "LD, 1 0 1"})
        void shouldMatchFigure10(String disk, String bits) {
            try (Fixture f = fig10()) {
                assertEquals(List.of(f.id("S0"), f.id("S1"), f.id("S2"), f.id("S3"), f.id("LD")), f.st.chain(f.id("LD")));
                assertEquals(bits, f.bits(disk, 0));
                assertEquals(0xA, f.first(disk, 0));
            }
        }

        @ParameterizedTest(name = "Fig. 11{0} {1}: Sp Ss holds = {2}, data {3}")
        @CsvSource({
                "a, S3, 1 1 0, 10", "a, LD, 1 0 1, 10",
                "c-full, S0, 0 1 0, 10", "c-full, S1, 1 1 0, 10", "c-full, S2, 1 1 0, 10",
                "c-full, S3, 1 0 1, 10", "c-full, LD, 0 0 1, 11",
                "c-partial, S0, 0 1 0, 10", "c-partial, S1, 1 1 0, 10", "c-partial, S2, 1 1 0, 10",
                "c-partial, S3, 1 0 1, 10", "c-partial, LD, 0 0 1, 11"})
        void shouldMatchFigure11(String stage, String disk, String bits, int data) {
            try (Fixture f = fig10()) {
                if (stage.equals("c-full")) {
                    f.fill("LD", 0, 0xB);       // W1 to LD: CFW LD -> S3 (by pointer hand-off), clear LD.Sp / S3.Ss
                } else if (stage.equals("c-partial")) {
                    f.poke("LD", 0, 0xB);       // partial W1: whole-segment copy LD -> S3, then write
                }
                assertEquals(bits, f.bits(disk, 0));
                assertEquals(data, f.first(disk, 0));
            }
        }

        @ParameterizedTest(name = "Fig. 12{0} {1}: Sp Ss holds = {2}, data {3}")
        @CsvSource({
                "a, S2, 1 1 0, 10",
                "c, S0, 0 1 0, 10", "c, S1, 1 0 1, 10", "c, S2, 0 0 1, 11", "c, S3, 0 1 0, 10", "c, LD, 1 0 1, 10"})
        void shouldMatchFigure12(String stage, String disk, String bits, int data) {
            try (Fixture f = fig10()) {
                if (stage.equals("c")) {
                    f.poke("S2", 0, 0xB);       // copy LD -> S2 and LD -> S1, clear S2.Sp/S1.Ss and S2.Ss/S3.Sp
                }
                assertEquals(bits, f.bits(disk, 0));
                assertEquals(data, f.first(disk, 0));
            }
        }

        /** Fig. 13 on a 2-segment disk: BGCOPY copies segment 0 only, so C0 stays in the tree. */
        private Fixture fig13(String stage) {
            Fixture f = fixture(2).lun("LD").fill("LD", 0, 0xA).fill("LD", 1, 0xA);
            f.snap("S0", "LD").snap("S1", "LD");                        // (a)
            if (stage.equals("a")) {
                return f;
            }
            f.clone("C0", "LD", SnapcloneMode.EAGER);                   // (b)
            if (stage.equals("b")) {
                return f;
            }
            assertEquals(1, f.st.bgcopyStep(f.id("C0"), 1));            // (c) BGCOPY LD -> C0, (e) bits
            if (stage.equals("e")) {
                return f;
            }
            f.poke("LD", 0, 0xB);                                       // (f) CFW to C0 and S1, (g)-(i)
            return f;
        }

        @ParameterizedTest(name = "Fig. 13{0} {1}: Sp Ss holds = {2}, data {3}")
        @CsvSource({
                "a, S0, 0 1 0, 10", "a, S1, 1 1 0, 10", "a, LD, 1 0 1, 10",
                "b, S0, 0 1 0, 10", "b, S1, 1 1 0, 10", "b, C0, 1 1 0, 10", "b, LD, 1 0 1, 10",
                // (c)+(e): C0.Ss cleared, LD.Sp stays set -- not the wrong (d) that clears LD.Sp
                "e, S0, 0 1 0, 10", "e, S1, 1 1 0, 10", "e, C0, 1 0 1, 10", "e, LD, 1 0 1, 10",
                // (f)-(i): write to LD copies into C0's predecessor S1 too
                "i, S0, 0 1 0, 10", "i, S1, 1 0 1, 10", "i, C0, 0 0 1, 10", "i, LD, 0 0 1, 11"})
        void shouldMatchFigure13(String stage, String disk, String bits, int data) {
            try (Fixture f = fig13(stage)) {
                assertEquals(bits, f.bits(disk, 0));
                assertEquals(data, f.first(disk, 0));
            }
        }

        /**
         * Fig. 14: C0 leaves. Segment 0: LD wrote after BGCOPY (LD.Sp clear, 14a). Segment 1: untouched
         * (LD.Sp set, S1.Ss set: LD.Sp stays, 14b). Segment 2: S1 wrote (S1.Ss clear: LD.Sp cleared, 14c).
         */
        @ParameterizedTest(name = "Fig. 14{0} segment {1} {2}: Sp Ss holds = {3}, data {4}")
        @CsvSource({
                "a, 0, S1, 1 0 1, 10", "a, 0, LD, 0 0 1, 11",
                "b, 1, S1, 1 1 0, 10", "b, 1, LD, 1 0 1, 10",
                "c, 2, S1, 0 0 1, 12", "c, 2, LD, 0 0 1, 10", "c, 2, S0, 0 0 1, 10",
                "b, 1, S0, 0 1 0, 10", "c, 2, C0, 0 0 1, 10"})
        void shouldMatchFigure14(String fig, int seg, String disk, String bits, int data) {
            try (Fixture f = fixture(3).lun("LD")) {
                for (int s = 0; s < 3; s++) {
                    f.fill("LD", s, 0xA);
                }
                f.snap("S0", "LD").snap("S1", "LD").clone("C0", "LD", SnapcloneMode.EAGER);
                assertEquals(2, f.st.bgcopyStep(f.id("C0"), 2));         // segments 0, 1 copied
                f.poke("LD", 0, 0xB);
                f.poke("S1", 2, 0xC);
                assertEquals("1 0 1", f.bits("LD", 1));
                assertEquals("1 0 1", f.bits("LD", 2), "LD.Sp still set on segment 2 before removal");
                f.st.bgcopyStep(f.id("C0"), 10);                         // segment 2 copied -> C0 leaves
                f.assertLeft("C0", "S0", "S1", "LD");
                f.assertRow(disk, seg, bits, data);
            }
        }

        /**
         * Fig. 14 with two snapclones copying at once, in the engine: {@code S0 <- C1 <- C0 <- LD}, C1 (SCALING)
         * taken first, C0 (EAGER) second, so C0's predecessor is a snapclone. Segment 0 untouched; segment 1
         * written by LD before C0 leaves (EAGER CFW into C0 and C1). When C0 leaves, LD.Sp stays set on segment
         * 0 (its predecessor is a snapclone, and C0 shared the segment with it) and stays clear on 1 (14a). When
         * C1 leaves, LD.Sp becomes S0.Ss (14b) and segment 1, which S0 reads through C1 and LD changed, is
         * copied C1 -> S0 first (15c).
         */
        @ParameterizedTest(name = "Fig. 14 predecessor snapclone, {0} segment {1} {2}: Sp Ss holds = {3}, data {4}")
        @CsvSource({
                "c0-left, 0, S0, 0 1 0, 10", "c0-left, 0, C1, 1 1 0, 10", "c0-left, 0, LD, 1 0 1, 10",
                "c0-left, 0, C0, 0 0 1, 10",
                "c0-left, 1, S0, 0 1 0, 10", "c0-left, 1, C1, 1 0 1, 10", "c0-left, 1, LD, 0 0 1, 11",
                "c0-left, 1, C0, 0 0 1, 10",
                "c1-left, 0, S0, 0 1 0, 10", "c1-left, 0, LD, 1 0 1, 10", "c1-left, 0, C1, 0 0 1, 10",
                "c1-left, 1, S0, 0 0 1, 10", "c1-left, 1, LD, 0 0 1, 11", "c1-left, 1, C1, 0 0 1, 10"})
        void shouldMatchFigure14WhenPredecessorIsSnapclone(String stage, int seg, String disk, String bits, int data) {
            try (Fixture f = fixture(2).lun("LD")) {
                f.fill("LD", 0, 0xA).fill("LD", 1, 0xA);
                f.snap("S0", "LD").clone("C1", "LD", SnapcloneMode.SCALING).clone("C0", "LD", SnapcloneMode.EAGER);
                assertEquals(List.of(f.id("S0"), f.id("C1"), f.id("C0"), f.id("LD")), f.st.chain(f.id("LD")));
                f.poke("LD", 1, 0xB);                                     // CFW into C0, EAGER: into C1 too
                assertEquals("1 0 1", f.bits("C1", 1));
                f.st.bgcopyStep(f.id("C0"), 10);                         // C0 leaves; its predecessor is C1
                f.assertLeft("C0", "S0", "C1", "LD");
                if (stage.equals("c1-left")) {
                    f.st.bgcopyStep(f.id("C1"), 10);
                    f.assertLeft("C1", "S0", "LD");
                }
                f.assertRow(disk, seg, bits, data);
            }
        }

        /**
         * Fig. 15 (scaling variant) on a 2-segment disk. (a) BGCOPY segment 0; (b) LD writes segment 0:
         * conventional CFW only, S1 still walks to C0; (c) segment 0 needs C0 -> S1; (d) removal loop
         * with threshold M: below M it quiesces and copies, at or above M it copies online first.
         */
        @ParameterizedTest(name = "Fig. 15{0} M={1} {2}: Sp Ss holds = {3}, data {4}")
        @CsvSource({
                "a, 64, C0, 1 0 1, 10", "a, 64, LD, 1 0 1, 10", "a, 64, S1, 1 1 0, 10",
                "b, 64, S1, 1 1 0, 10", "b, 64, C0, 1 0 1, 10", "b, 64, LD, 0 0 1, 11",
                "d, 64, S0, 0 1 0, 10", "d, 64, S1, 1 0 1, 10", "d, 64, LD, 0 0 1, 11",
                "d, 1, S0, 0 1 0, 10", "d, 1, S1, 1 0 1, 10", "d, 1, LD, 0 0 1, 11"})
        void shouldMatchFigure15(String stage, int m, String disk, String bits, int data) {
            SharingConfig cfg = SharingConfig.defaults().withBackground(false).withQuiesceThreshold(m);
            try (Fixture f = fixture(2, cfg).lun("LD")) {
                f.fill("LD", 0, 0xA).fill("LD", 1, 0xA);
                f.snap("S0", "LD").snap("S1", "LD").clone("C0", "LD", SnapcloneMode.SCALING);
                assertEquals(1, f.st.bgcopyStep(f.id("C0"), 1));
                if (!stage.equals("a")) {
                    f.poke("LD", 0, 0xB);
                    // (c): the pattern that needs copying: S1.Ss = 1 and LD.Sp = 0
                    assertEquals("1 1 0", f.bits("S1", 0));
                    assertEquals("0 0 1", f.bits("LD", 0));
                }
                if (stage.equals("d")) {
                    f.st.bgcopyStep(f.id("C0"), 10);
                    assertEquals(List.of(f.id("S0"), f.id("S1"), f.id("LD")), f.st.chain(f.id("LD")));
                    SharingStats st = f.st.stats();
                    assertEquals(m > 1 ? 1.0 : 0.0, st.leaveQuiescedCopies.count(), "quiesced copies");
                    assertEquals(m > 1 ? 0.0 : 1.0, st.leaveCopies.count(), "online copies");
                    assertEquals(0xA, f.first("C0", 0));
                }
                assertEquals(bits, f.bits(disk, 0));
                assertEquals(data, f.first(disk, 0));
            }
        }

        @ParameterizedTest(name = "Fig. 15d without predecessor ({0}): nothing to copy")
        @CsvSource({"EAGER", "SCALING"})
        void shouldLeaveWithoutCopiesWhenCloneHasNoPredecessor(SnapcloneMode mode) {
            try (Fixture f = fixture(2).lun("LD")) {
                f.fill("LD", 0, 0xA).fill("LD", 1, 0xA).clone("C0", "LD", mode);
                f.poke("LD", 1, 0xB);
                f.st.bgcopyStep(f.id("C0"), 10);
                assertEquals(List.of(f.id("LD")), f.st.chain(f.id("LD")));
                assertEquals(0.0, f.st.stats().leaveCopies.count() + f.st.stats().leaveQuiescedCopies.count());
                assertEquals("0 0 1", f.bits("LD", 0));
                assertEquals(0xA, f.first("C0", 1));
                assertEquals(0xB, f.first("LD", 1));
            }
        }
    }
}
