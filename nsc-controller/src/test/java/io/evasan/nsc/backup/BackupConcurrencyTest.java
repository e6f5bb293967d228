package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writers on the primary, readers on the backup LUN and a controller thread cycling initiate /
 * LOP copy / terminate, all at once: every command completes (no deadlock between the destager,
 * the copy thread and the DCMD path) with an answer from the allowed set, primary writes never
 * fail, and the primary ends with exactly the last data written to each block.
 */
class BackupConcurrencyTest {

    @Test
    void shouldNeverDeadlockOrFailThePrimary() throws Exception {
        long seed = Long.getLong("evasan.seed", 4242L);
        long millis = Long.getLong("evasan.millis", 2500L);
        System.out.println("BackupConcurrencyTest seed=" + seed + " millis=" + millis);
        try (SnapshotBackupTest.Setup s = new SnapshotBackupTest.Setup("backup-conc", true)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            AtomicLong backupReads = new AtomicLong();
            AtomicLong cycles = new AtomicLong();
            Throwable[] failure = new Throwable[1];
            int blocks = (int) (SnapshotBackupTest.PRIM_SIZE / 512);
            byte[][] last = new byte[blocks / 64][];
            Thread[] threads = new Thread[4];
            for (int w = 0; w < 2; w++) {
                final int ww = w;
                ItNexus x = s.n.nexus(Nsc.HOST, "1" + w);
                threads[w] = new Thread(() -> {
                    Random r = new Random(seed + ww);
                    try {
                        while (!stop.get()) {
                            int chunk = ww + 2 * r.nextInt(last.length / 2);   // each writer owns its chunks
                            byte[] d = Nsc.pattern(64 * 512, r.nextLong());
                            Nsc.Result res = s.n.runNoUa(x, 0, write10((long) chunk * 64, 64, r.nextInt(4) == 0), d, d.length);
                            assertEquals(ScsiStatus.GOOD, res.status, "primary write: " + res);
                            last[chunk] = d;
                            writes.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                });
            }
            ItNexus rx = s.n.nexus(Nsc.HOST, "2f");
            Set<Integer> readAnswers = Set.of(SenseCodes.NO_SENSE, DcmdCodes.BACKUP_LUN_NOT_READY, DcmdCodes.LOG_OVERFLOW);
            threads[2] = new Thread(() -> {
                Random r = new Random(seed + 7);
                try {
                    while (!stop.get()) {
                        Nsc.Result res = s.n.runNoUa(rx, 1, read10(r.nextInt(blocks - 64), 64), null, 64 * 512);
                        assertTrue(res.status == ScsiStatus.GOOD || readAnswers.contains(res.sense), "backup read: " + res);
                        backupReads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            threads[3] = new Thread(() -> {
                Random r = new Random(seed + 9);
                try {
                    while (!stop.get()) {
                        Nsc.Result i = s.initiate(0);
                        assertTrue(i.good() || i.sense == DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS, "initiate: " + i);
                        if (r.nextBoolean()) {
                            int lop = r.nextBoolean() ? DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE : DcmdDescriptor.LOP_INCREMENTAL_COPY;
                            int word = s.lopStart(lop, s.log.id(), s.dst.id());
                            // 0106h: a copy aborted by a log overflow in the destager may still be winding down
                            assertTrue(word == DcmdCodes.LOP_START_COPY_STARTED || word == DcmdCodes.LOP_START_DRIVE_NOT_READY
                                            || word == DcmdCodes.LOP_START_COPY_ALREADY_IN_PROGRESS,
                                    "lop start " + Integer.toHexString(word));
                            if (r.nextBoolean()) {
                                s.engine().awaitCopy(30_000);
                            }
                        }
                        Thread.sleep(r.nextInt(20));
                        Nsc.Result t = s.terminate(r.nextBoolean() ? 0 : 1);
                        assertTrue(t.good() || t.sense == DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS, "terminate: " + t);
                        int st = s.lopStatus();
                        assertTrue(Set.of(DcmdCodes.LOP_STATUS_IN_PROGRESS, DcmdCodes.LOP_STATUS_COMPLETED,
                                DcmdCodes.LOP_STATUS_DRIVE_NOT_READY, DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS,
                                DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND).contains(st), "lop status " + Integer.toHexString(st));
                        cycles.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            for (Thread t : threads) {
                t.start();
            }
            Thread.sleep(millis);
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
                assertTrue(!t.isAlive(), "thread stuck: " + t.getName());
            }
            if (failure[0] != null) {
                throw new AssertionError("seed=" + seed, failure[0]);
            }
            s.engine().awaitCopy(30_000);
            byte[] all = s.readAll(0);
            for (int c = 0; c < last.length; c++) {
                if (last[c] != null) {
                    assertArrayEquals(last[c], java.util.Arrays.copyOfRange(all, c * 64 * 512, (c + 1) * 64 * 512),
                            "chunk " + c + " seed=" + seed);
                }
            }
            System.out.println("writes=" + writes + " backupReads=" + backupReads + " initiate/terminate cycles=" + cycles);
        }
    }
}
