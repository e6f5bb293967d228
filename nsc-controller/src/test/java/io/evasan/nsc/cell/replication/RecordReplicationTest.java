package io.evasan.nsc.cell.replication;

import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.cell.CellRecordDescriptor;
import io.evasan.nsc.cell.CellState;
import io.evasan.nsc.cell.CellStateReplay;
import io.evasan.nsc.cell.CommandLog;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Record replication over the Vert.x event bus: the partner's {@link CellState} follows the owner's committed
 * records through a link that loses, delays (and so reorders against resends) messages in both directions, and
 * ends equal to the live cell; a partner whose copy does not fit says DIVERGED and nothing more is sent; damaged
 * messages are refused.
 */
class RecordReplicationTest {
    @Test
    @org.junit.jupiter.api.Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldKeepThePartnersCopyEqualToTheCellThroughALossyLink() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int ops = Integer.getInteger("evasan.replication.ops", 1500);
        System.out.println("RecordReplicationTest seed=" + seed + " ops=" + ops + " (-Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Random link = new Random(seed ^ 0x5DEECE66DL);
        Path base = Files.isDirectory(Paths.get("/dev/shm")) ? Paths.get("/dev/shm") : Paths.get("target");
        Path dir = Files.createTempDirectory(base, "cell-replication");
        Vertx vertx = Vertx.vertx();
        AtomicInteger dropped = new AtomicInteger();
        AtomicInteger delayed = new AtomicInteger();
        vertx.eventBus().addOutboundInterceptor(ctx -> {   // every send and every reply passes here
            int r;
            synchronized (link) {
                r = link.nextInt(100);
            }
            if (r < 10) {
                dropped.incrementAndGet();          // lost: the sender's timeout sends the batch again
            } else if (r < 20) {
                delayed.incrementAndGet();          // late: may arrive after a resend of the same records
                vertx.setTimer(1 + r, id -> ctx.next());
            } else {
                ctx.next();
            }
        });
        CellStateReplay.Stack s = new CellStateReplay.Stack(dir);
        try (RecordFollower follower = new RecordFollower(vertx, "cell.partner.records",
                CellState.capture(s.cell, CellStateReplay.KINDS));
             RecordPublisher publisher = new RecordPublisher(vertx, "cell.partner.records",
                     (CommandLog) s.cell.log(), 16, 50)) {
            int added = 0;
            int groups = 0;
            for (int i = 0; i < ops; i++) {
                try {
                    String op = CellStateReplay.step(s, rnd, added, groups);
                    added += op.startsWith("addDrive") ? 1 : 0;
                    groups += op.startsWith("createDiskGroup") ? 1 : 0;
                } catch (StorageException | IllegalArgumentException refused) {
                    // refused commands commit nothing
                }
            }
            assertTrue(publisher.awaitCaughtUp(120_000), "seed " + seed + ": partner at " + publisher.acked() + " of "
                    + publisher.published() + (follower.divergence() == null ? "" : ", diverged: " + follower.divergence()));
            String live = CellState.capture(s.cell, CellStateReplay.KINDS).describe();
            assertEquals(live, follower.state().describe(), "seed " + seed + CellStateReplay.diff(live, follower.state().describe()));
            assertEquals(0, publisher.backlog());
            System.out.println("RecordReplicationTest seed=" + seed + ": " + publisher.published() + " records, "
                    + dropped + " messages dropped, " + delayed + " delayed, " + publisher.resends() + " batches sent again");
        } finally {
            s.close();
            vertx.close().await();
            CellStateReplay.deleteTree(dir);
        }
    }

    @Test
    void shouldStopAndSayDivergedWhenTheCopyDoesNotFit() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            CommandLog log = new CommandLog();
            CellState wrongBase = new CellState();   // the owner's LUN 0 is missing from it
            try (RecordFollower follower = new RecordFollower(vertx, "p", wrongBase);
                 RecordPublisher publisher = new RecordPublisher(vertx, "p", log, 4, 200)) {
                log.append(new CellRecord.LunResized(0, "lun0", 1 << 20));
                log.append(new CellRecord.LunResized(0, "lun0", 2 << 20));
                assertFalse(publisher.awaitCaughtUp(10_000));
                assertTrue(publisher.diverged());
                assertNotNull(follower.divergence());
                assertTrue(follower.divergence().contains("record 1"), follower.divergence());
                assertEquals(0, publisher.acked());
                assertEquals(0, follower.state().lastSeq());
            }
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void shouldRefuseADamagedBatchAndChangeNothing() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RecordFollower follower = new RecordFollower(vertx, "p", new CellState())) {
            byte[] good = ReplicationDescriptor.encodeBatch(List.of(CellRecordDescriptor.encode(
                    new CellRecord.Committed(1, new CellRecord.RecordPut("host", "h", new byte[]{1})))));
            byte[] bad = good.clone();
            bad[bad.length - 3] ^= 0x10;   // inside the record: its CRC no longer matches
            Throwable t = vertx.eventBus().request("p", Buffer.buffer(bad)).toCompletionStage().toCompletableFuture()
                    .handle((m, e) -> e).get(10, TimeUnit.SECONDS);
            assertNotNull(t);
            assertEquals(1, follower.refused());
            assertEquals(0, follower.state().lastSeq());
            Buffer ack = vertx.eventBus().<Buffer>request("p", Buffer.buffer(good)).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).body();
            assertEquals(new ReplicationDescriptor.Ack(ReplicationDescriptor.Status.OK, 1),
                    ReplicationDescriptor.decodeAck(ack.getBytes()));
        } finally {
            vertx.close().await();
        }
    }

    @Test
    void shouldRefuseEveryBitFlipOfABatchAndAnAck() {
        byte[] batch = ReplicationDescriptor.encodeBatch(List.of(
                CellRecordDescriptor.encode(new CellRecord.Committed(5, new CellRecord.BgcopyPaused(3))),
                CellRecordDescriptor.encode(new CellRecord.Committed(6, new CellRecord.LunDeleted(1, "a")))));
        assertEquals(2, ReplicationDescriptor.decodeBatch(batch).size());
        for (int bit = 0; bit < batch.length * 8; bit++) {
            byte[] b = batch.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            int at = bit;
            assertThrows(StorageException.class, () -> ReplicationDescriptor.decodeBatch(b), "bit " + at);
        }
        byte[] ack = ReplicationDescriptor.encodeAck(new ReplicationDescriptor.Ack(ReplicationDescriptor.Status.DIVERGED, 0x0102030405L));
        assertEquals("524101010000000102030405", HexFormat(ack).substring(0, 24));   // "RA", v1, DIVERGED, applied
        for (int bit = 0; bit < ack.length * 8; bit++) {
            byte[] b = ack.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            int at = bit;
            assertThrows(StorageException.class, () -> ReplicationDescriptor.decodeAck(b), "bit " + at);
        }
        byte[] gap = ReplicationDescriptor.encodeBatch(List.of(
                CellRecordDescriptor.encode(new CellRecord.Committed(5, new CellRecord.BgcopyPaused(3))),
                CellRecordDescriptor.encode(new CellRecord.Committed(7, new CellRecord.LunDeleted(1, "a")))));
        assertThrows(StorageException.class, () -> ReplicationDescriptor.decodeBatch(gap));
        assertEquals(0x0102030405L, ByteBuffer.wrap(ack).getLong(4));
    }

    private static String HexFormat(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
