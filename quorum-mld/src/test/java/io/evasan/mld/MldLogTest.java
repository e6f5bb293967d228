package io.evasan.mld;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The log behind each checkpoint ({@link MldLogDescriptor}): small commits on a large state append a
 * record instead of rewriting the state, opening replays them, a torn tail is cut, damage of an
 * acknowledged record is refused like damage of a checkpoint, and the log compacts into a new
 * checkpoint before it outgrows the state.
 */
class MldLogTest {
    static final long AREA = 4 << 20;
    @TempDir
    Path dir;
    final List<FileQuorumArea> areas = new ArrayList<>();

    @BeforeEach
    void setUp() {
        for (int i = 0; i < 3; i++) {
            areas.add(new FileQuorumArea(dir.resolve("q" + i), AREA));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (FileQuorumArea a : areas) {
            a.close();
        }
    }

    Mld open() {
        return Mlds.open(new ArrayList<QuorumArea>(areas), MldOptions.defaults());
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A state of {@code n} records of 100 bytes in one commit (a checkpoint of about n * 110 bytes). */
    static Mld withState(Mld m, int n) {
        MldBatch batch = new MldBatch();
        for (int i = 0; i < n; i++) {
            batch.put("lun", String.format("%06d", i), new byte[100]);
        }
        m.commit(batch);
        return m;
    }

    long slotBase(int slot) {
        return MldBlockDescriptor.slotOffset(AREA, slot);
    }

    /** Offsets (in the area) of the log records found in the sectors of slot {@code slot} of area 0, in order. */
    List<Long> records(int slot) {
        List<Long> out = new ArrayList<>();
        long size = MldBlockDescriptor.slotSize(AREA);
        for (long off = 0; off < size; off += 512) {
            ByteBuffer s = ByteBuffer.wrap(areas.get(0).bytes(slotBase(slot) + off, 8)).order(ByteOrder.LITTLE_ENDIAN);
            if (s.getLong(0) == MldLogDescriptor.MAGIC) {
                out.add(slotBase(slot) + off);
            }
        }
        return out;
    }

    long checkpointGeneration(int slot) {
        return MldBlockDescriptor.generation(ByteBuffer.wrap(areas.get(0).bytes(slotBase(slot), 64)));
    }

    @Test
    void shouldAppendASmallCommitAsOneRecordAndReplayItAtOpen() {
        Mld m = withState(open(), 1000);
        byte[] checkpoint = areas.get(0).bytes(slotBase(1), 512);
        long before = areas.get(0).bytesWritten;
        m.commit(new MldBatch().put("lun", "new", b("x")).remove("lun", "000007"));
        assertEquals(2 * 512, areas.get(0).bytesWritten - before, "one record sector and the seal sector");
        assertArrayEquals(checkpoint, areas.get(0).bytes(slotBase(1), 512), "the checkpoint is not rewritten");
        assertEquals(1, records(1).size());
        Mld r = open();
        assertEquals(2, r.generation());
        assertEquals("x", new String(r.get("lun", "new").orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(r.get("lun", "000007").isEmpty());
        assertEquals(1000, r.keys("lun").size());
        assertEquals(List.of(), r.openReport());
        assertEquals(3, r.goodCopies());
        assertEquals(m.payloadBytes(), r.payloadBytes());
        r.commit(new MldBatch().put("lun", "after", b("y")));
        assertEquals(2, records(1).size(), "the reopened MLD appends after the replayed record");
        assertEquals(3, open().generation());
    }

    @Test
    void shouldWriteBoundedBytesPerCommitWhateverTheStateSize() {
        double small = bytesPerCommit(300);
        for (FileQuorumArea a : areas) {
            a.zero(0, (int) AREA);
        }
        double large = bytesPerCommit(1200);
        assertTrue(small < 4 * 512 && large < 4 * 512, "amortized bytes per commit and copy (record, seal, share of a checkpoint): " + small + " at 300 records, "
                + large + " at 1200");
    }

    private double bytesPerCommit(int n) {
        Mld m = withState(open(), n);
        long before = areas.get(0).bytesWritten;
        int commits = 600;
        for (int i = 0; i < commits; i++) {
            m.commit(new MldBatch().put("lun", String.format("x%06d", i % 100), new byte[100]));
        }
        Mld r = open();
        assertEquals(m.generation(), r.generation());
        assertEquals(m.keys("lun"), r.keys("lun"));
        return (areas.get(0).bytesWritten - before) / (double) commits;
    }

    @Test
    void shouldCompactIntoTheOtherSlotBeforeTheLogOutgrowsTheCheckpoint() {
        Mld m = withState(open(), 100);
        long checkpointBytes = MldBlockDescriptor.blockLength(m.payloadBytes());
        int commits = 0;
        while (checkpointGeneration(0) == 0 && commits < 1000) {
            m.commit(new MldBatch().put("lun", "k" + commits, new byte[10]));
            commits++;
            assertTrue(records(1).size() * 512L < checkpointBytes, "log of slot 1 stays shorter than its checkpoint");
        }
        assertTrue(commits > 10 && commits < 1000, "compacted after " + commits + " commits");
        assertEquals(m.generation(), checkpointGeneration(0), "the new checkpoint is the commit that compacted");
        m.commit(new MldBatch().remove("lun", "k0"));
        Mld r = open();
        assertEquals(m.generation(), r.generation());
        assertEquals(m.keys("lun"), r.keys("lun"));
        assertEquals(100 + commits - 1, r.keys("lun").size());
    }

    @Test
    void shouldCutATornTailAndAppendOverIt() {
        Mld m = withState(open(), 200);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        long seal = MldBlockDescriptor.sealOffset(AREA, 1);
        byte[] sealOfGen2 = areas.get(0).bytes(seal, 512);
        m.commit(new MldBatch().put("lun", "b", b("2")));
        long torn = records(1).get(1);
        for (FileQuorumArea a : areas) { // a cut inside commit 3: its record torn, the seal still says 2
            a.corrupt(torn + 64, 16);
            a.put(seal, sealOfGen2);
        }
        Mld r = open();
        assertEquals(2, r.generation());
        assertTrue(r.get("lun", "b").isEmpty());
        r.commit(new MldBatch().put("lun", "c", b("3")));
        assertEquals(torn, (long) records(1).get(1), "appended over the torn record");
        Mld again = open();
        assertEquals(3, again.generation());
        assertTrue(again.get("lun", "c").isPresent());
        assertTrue(again.get("lun", "b").isEmpty());
    }

    @Test
    void shouldRefuseAnAcknowledgedRecordDamagedEverywhereAndNeverReplayItsStaleSuccessors() {
        Mld m = withState(open(), 200);
        for (int i = 0; i < 4; i++) {
            m.commit(new MldBatch().put("lun", "g" + (i + 2), b("v")));
        }
        long third = records(1).get(1); // generation 3
        for (FileQuorumArea a : areas) {
            a.flip(third + 70);
        }
        StorageException e = assertThrows(StorageException.class, this::open);
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertTrue(e.getMessage().contains("MLD generation 5 was committed and acknowledged"), e.getMessage());
        assertTrue(e.getMessage().contains("log record payload checksum failed (log record of generation 3)"), e.getMessage());
        assertTrue(e.getMessage().contains("--mld-accept-rollback 2"), e.getMessage());

        Mld r = Mlds.open(new ArrayList<QuorumArea>(areas), MldOptions.defaults().withAcceptRollbackTo(2));
        assertEquals(2, r.generation());
        r.commit(new MldBatch().put("lun", "other", b("w")));
        Mld again = open();
        assertEquals(3, again.generation(), "generations 4 and 5 of the lost history are not replayed");
        assertTrue(again.get("lun", "g4").isEmpty());
        assertTrue(again.get("lun", "other").isPresent());
    }

    @Test
    void shouldRewriteACopyWithADamagedRecordFromAGoodCopy() {
        Mld m = withState(open(), 200);
        m.commit(new MldBatch().put("lun", "a", b("1")));
        m.commit(new MldBatch().put("lun", "b", b("2")));
        long rec = records(1).get(0);
        long end = records(1).get(1) + 512;
        byte[] good = areas.get(0).bytes(slotBase(1), (int) (end - slotBase(1)));
        areas.get(2).flip(rec + 64);
        Mld r = open();
        assertEquals(3, r.generation());
        assertEquals(3, r.goodCopies());
        assertEquals(1, r.openReport().size(), r.openReport().toString());
        assertTrue(r.openReport().get(0).contains("drive " + areas.get(2).driveId() + " slot 1 was log record payload checksum failed"),
                r.openReport().toString());
        assertArrayEquals(good, areas.get(2).bytes(slotBase(1), good.length), "checkpoint and log copied whole");
        r.commit(new MldBatch().put("lun", "c", b("3")));
        assertEquals(List.of(), open().openReport());
    }
}
