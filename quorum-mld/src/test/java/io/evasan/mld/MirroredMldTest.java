package io.evasan.mld;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class MirroredMldTest {
    static final long AREA = 256 << 10;
    @TempDir
    Path dir;
    List<FileQuorumArea> areas = new ArrayList<>();

    @BeforeEach
    void setUp() {
        for (int i = 0; i < 5; i++) {
            areas.add(new FileQuorumArea(dir.resolve("q" + i), AREA));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (FileQuorumArea a : areas) {
            a.close();
        }
    }

    Mld open(int copies) {
        return Mlds.open(new ArrayList<QuorumArea>(areas), MldOptions.defaults().withCopies(copies));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    long slotOffset(long gen) {
        return MldBlockDescriptor.slotOffset(AREA, MldBlockDescriptor.slotOf(gen));
    }

    @Test
    void shouldStartEmptyOnBlankAreas() {
        Mld m = open(3);
        assertEquals(0, m.generation());
        assertTrue(m.keys("lun").isEmpty());
    }

    @Test
    void shouldCommitAtomicallyAndReopen() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")).put("lun", "b", b("2")).put("admin", "hash", b("x")));
        m.commit(new MldBatch().remove("lun", "a").put("lun", "c", b("3")));
        assertEquals(2, m.generation());
        Mld r = open(3);
        assertEquals(2, r.generation());
        assertEquals(List.of("b", "c"), r.keys("lun"));
        assertEquals("x", s(r.get("admin", "hash").orElseThrow()));
        assertEquals(3, r.goodCopies());
    }

    @Test
    void shouldUseGoodMirrorWhenOneCopyIsCorrupt() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "a", b("2")));
        areas.get(0).corrupt(slotOffset(2) + 70, 16); // payload of the newest copy on drive 0
        Mld r = open(3);
        assertEquals(2, r.generation());
        assertEquals("2", s(r.get("lun", "a").orElseThrow()));
        assertEquals(3, r.goodCopies(), "the damaged copy is rewritten at open");
        assertEquals(1, r.openReport().size(), r.openReport().toString());
        assertTrue(r.openReport().get(0).contains(areas.get(0).driveId() + " slot 0"), r.openReport().toString());
        r.commit(new MldBatch().put("lun", "b", b("3")));
        assertEquals(3, open(3).goodCopies());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void shouldOpenFromTheOnlySurvivingCopy(int survivor) {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "a", b("2")));
        for (int i = 0; i < 3; i++) {
            if (i != survivor) {
                areas.get(i).corrupt(slotOffset(2), 64);     // newest header
                areas.get(i).corrupt(slotOffset(1) + 64, 8); // previous payload
            }
        }
        Mld r = open(3);
        assertEquals(2, r.generation());
        assertEquals("2", s(r.get("lun", "a").orElseThrow()));
        assertEquals(3, r.goodCopies(), "both damaged copies are rewritten from the survivor at open");
        assertEquals(4, r.openReport().size(), "generation 2 and 1 on two drives: " + r.openReport());
        Mld again = open(3);
        assertEquals(List.of(), again.openReport(), "nothing left to repair");
    }

    long sealOffset(long gen) {
        return MldBlockDescriptor.sealOffset(AREA, MldBlockDescriptor.slotOf(gen));
    }

    @Test
    void shouldFallBackToPreviousGenerationWhenNewestIsTornEverywhereAndNeverSealed() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("old")));
        m.commit(new MldBatch().put("lun", "a", b("new")));
        for (int i = 0; i < 3; i++) {
            areas.get(i).corrupt(slotOffset(2) + 20, 4);
            areas.get(i).zero(sealOffset(2), 512); // the crash came before the seal: commit 2 never returned
        }
        Mld r = open(3);
        assertEquals(1, r.generation());
        assertEquals("old", s(r.get("lun", "a").orElseThrow()));
    }

    /** Issue 11 #7, exact reproduction: one byte of the newest generation flipped on all three copies. */
    @ParameterizedTest
    @ValueSource(ints = {16, 40, 64, 70})
    void shouldRefuseToStartWhenTheAcknowledgedNewestGenerationIsDamagedOnEveryCopy(int byteInBlock) {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("old")));
        m.commit(new MldBatch().put("lun", "b", b("created with 201")));
        for (int i = 0; i < 3; i++) {
            areas.get(i).flip(slotOffset(2) + byteInBlock);
        }
        StorageException e = assertThrows(StorageException.class, () -> open(3));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        String msg = e.getMessage();
        assertTrue(msg.contains("MLD generation 2 was committed and acknowledged"), msg);
        assertTrue(msg.contains("newest intact generation is 1"), msg);
        for (int i = 0; i < 3; i++) {
            assertTrue(msg.contains("drive " + areas.get(i).driveId() + " slot 0: "), msg);
        }
        assertTrue(msg.contains("Refusing to start"), msg);
        assertTrue(msg.contains("--mld-accept-rollback 1"), msg);
        // bad input changes nothing: the refusal wrote nothing, a second try says the same
        assertEquals(msg, assertThrows(StorageException.class, () -> open(3)).getMessage());
    }

    @Test
    void shouldStartOnThePreviousGenerationOnlyWithExplicitConsentAndSaySo() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("old")));
        m.commit(new MldBatch().put("lun", "b", b("created with 201")));
        for (int i = 0; i < 3; i++) {
            areas.get(i).flip(slotOffset(2) + 70);
        }
        MldOptions wrong = MldOptions.defaults().withAcceptRollbackTo(0);
        StorageException e = assertThrows(StorageException.class,
                () -> Mlds.open(new ArrayList<QuorumArea>(areas), wrong));
        assertTrue(e.getMessage().contains("--mld-accept-rollback 0 was given, but the generation that can be opened is 1"),
                e.getMessage());

        Mld r = Mlds.open(new ArrayList<QuorumArea>(areas), MldOptions.defaults().withAcceptRollbackTo(1));
        assertEquals(1, r.generation());
        assertEquals("old", s(r.get("lun", "a").orElseThrow()));
        assertTrue(r.get("lun", "b").isEmpty());
        assertTrue(r.openReport().get(0).startsWith("MLD rollback ACCEPTED by the operator (--mld-accept-rollback 1)"),
                r.openReport().toString());
        // accepted once: the seals of the lost generation are lowered, later starts need no option
        Mld later = open(3);
        assertEquals(1, later.generation());
        later.commit(new MldBatch().put("lun", "c", b("3")));
        assertEquals(2, open(3).generation());
        assertEquals("3", s(open(3).get("lun", "c").orElseThrow()));
    }

    @Test
    void shouldRewriteASingleDamagedCopyAtOpenAndReportDriveAndSlot() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "a", b("2")));
        byte[] good = areas.get(0).bytes(slotOffset(2), 512);
        areas.get(1).flip(slotOffset(2) + 5); // magic of the newest copy on drive 1
        Mld r = open(3);
        assertEquals(3, r.goodCopies());
        assertEquals(List.of("MLD: current generation 2 on drive " + areas.get(1).driveId()
                + " slot 0 was header magic destroyed; rewritten from drive " + areas.get(0).driveId() + " slot 0"),
                r.openReport());
        assertArrayEquals(good, areas.get(1).bytes(slotOffset(2), 512), "the copy on drive 1 is whole again");
    }

    @Test
    void shouldRewriteADamagedSealAtOpen() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        byte[] seal = areas.get(0).bytes(sealOffset(1), 512);
        areas.get(2).flip(sealOffset(1) + 17);
        Mld r = open(3);
        assertTrue(r.openReport().get(0).contains("commit seal on drive " + areas.get(2).driveId() + " slot 1 was damaged"),
                r.openReport().toString());
        byte[] now = areas.get(2).bytes(sealOffset(1), 512);
        assertTrue(MldBlockDescriptor.sealValid(java.nio.ByteBuffer.wrap(now)));
        assertEquals(MldBlockDescriptor.sealGeneration(java.nio.ByteBuffer.wrap(seal)),
                MldBlockDescriptor.sealGeneration(java.nio.ByteBuffer.wrap(now)));
    }

    @Test
    void shouldOpenARegionWrittenBeforeSealsExistedAndSealIt() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "a", b("2")));
        for (int i = 0; i < 3; i++) { // what the previous release left: blocks, no seal sectors
            areas.get(i).zero(sealOffset(1), 512);
            areas.get(i).zero(sealOffset(2), 512);
        }
        Mld r = open(3);
        assertEquals(2, r.generation());
        assertEquals(List.of(), r.openReport(), "a missing seal is not damage");
        for (int i = 0; i < 3; i++) {
            java.nio.ByteBuffer sl = java.nio.ByteBuffer.wrap(areas.get(i).bytes(sealOffset(2), 512));
            assertTrue(MldBlockDescriptor.sealValid(sl));
            assertEquals(2, MldBlockDescriptor.sealGeneration(sl));
        }
        for (int i = 0; i < 3; i++) { // from now on the generation is protected
            areas.get(i).flip(slotOffset(2) + 70);
        }
        assertThrows(StorageException.class, () -> open(3));
    }

    @Test
    void shouldReportCorruptMetadataWhenNoCopyIsValid() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "a", b("2")));
        for (int i = 0; i < 3; i++) {
            areas.get(i).corrupt(slotOffset(1), 64);
            areas.get(i).corrupt(slotOffset(2), 64);
        }
        StorageException e = assertThrows(StorageException.class, () -> open(3));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
    }

    @Test
    void shouldPickHighestGenerationWhenADriveWasDown() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        areas.get(0).available = false;
        m.commit(new MldBatch().put("lun", "a", b("2")));
        m.commit(new MldBatch().put("lun", "a", b("3")));
        areas.get(0).available = true; // comes back with a stale generation
        Mld r = open(3);
        assertEquals("3", s(r.get("lun", "a").orElseThrow()));
        assertEquals(3, r.generation());
    }

    @Test
    void shouldRefuseOversizedCommitAndKeepState() {
        Mld m = open(3);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        StorageException e = assertThrows(StorageException.class,
                () -> m.commit(new MldBatch().put("blob", "x", new byte[(int) AREA])));
        assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, e.code());
        assertEquals(1, m.generation());
        assertTrue(m.keys("blob").isEmpty());
        assertEquals(1, open(3).generation());
    }

    @Test
    void shouldFailCommitOnlyWhenNoCopyCanBeWritten() {
        Mld m = open(2);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        for (FileQuorumArea a : areas) {
            a.available = false;
        }
        StorageException e = assertThrows(StorageException.class, () -> m.commit(new MldBatch().put("lun", "a", b("2"))));
        assertEquals(ErrorCode.WRITE_FAULT, e.code());
        assertEquals("1", s(m.get("lun", "a").orElseThrow()));
    }

    @Test
    void shouldMatchModelUnderRandomCommitsCorruptionAndReopen() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 300);
        Random rnd = new Random(seed);
        Map<String, String> model = new TreeMap<>();
        Mld m = open(3);
        for (int step = 0; step < steps; step++) {
            String ctx = "seed=" + seed + " step=" + step;
            int op = rnd.nextInt(10);
            if (op < 6) {
                MldBatch batch = new MldBatch();
                Map<String, String> next = new TreeMap<>(model);
                for (int k = rnd.nextInt(4); k >= 0; k--) {
                    String key = "k" + rnd.nextInt(20);
                    if (rnd.nextBoolean()) {
                        String v = "v" + rnd.nextInt(1000) + "-" + step;
                        batch.put("lun", key, b(v));
                        next.put(key, v);
                    } else {
                        batch.remove("lun", key);
                        next.remove(key);
                    }
                }
                m.commit(batch);
                model = next;
            } else if (op < 8) {
                // corrupt one random slot of one random copy that is not the only good copy of the newest generation
                int area = rnd.nextInt(3);
                long gen = m.generation();
                if (gen > 0) {
                    long target = rnd.nextBoolean() ? gen : gen - 1;
                    int goodNewest = 0;
                    Mld probe = open(3);
                    goodNewest = probe.generation() == gen ? probe.goodCopies() : 0;
                    if (target != gen || goodNewest > 1) {
                        areas.get(area).corrupt(slotOffset(target) + rnd.nextInt(200), 8);
                    }
                }
            } else {
                m = open(3);
            }
            Mld check = open(3);
            assertEquals(model.keySet(), new java.util.TreeSet<>(check.keys("lun")), ctx);
            for (Map.Entry<String, String> e : model.entrySet()) {
                assertEquals(e.getValue(), s(check.get("lun", e.getKey()).orElseThrow()), ctx);
            }
        }
        System.out.println("MLD model test passed: seed=" + seed + " steps=" + steps);
    }
}
