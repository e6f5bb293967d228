package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.vendor.DcmdDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole appliance (pool, RAID5, mapping, sharing tree, cache, SCSI, iSCSI) driven by unmodified
 * initiators: qemu-io writes patterns at scattered offsets, a host takes a seed-003 snapshot backup
 * with the DCMD CDB, the LUN is overwritten, and the backup LUN still shows the old patterns;
 * {@code qemu-img convert} of the LUN equals the image a plain model expects.
 */
class IscsiSnapshotScenarioTest {
    private static final long LUN_BYTES = 256L << 20;
    private static final int WRITES = 24;
    private static final int LEN = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void shouldKeepOldPatternsInBackupLunWhileLunIsOverwritten() throws Exception {
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("IscsiSnapshotScenarioTest seed=" + seed);
        Random rnd = new Random(seed);
        long[] offsets = scatteredOffsets(rnd);

        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, LUN_BYTES, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            app.controller().defineLogLun("log0", 128L << 20);
            app.controller().presentLun("*", 1, "log0");
            String lun = app.iscsiUrl(0);
            String backup = app.iscsiUrl(1);

            Clients.Result w1 = Clients.qemuIo(lun, commands("write", offsets, 0x10));
            assertEquals(WRITES, w1.count("wrote "), w1.toString());
            Clients.Result r1 = Clients.qemuIo(lun, commands("read", offsets, 0x10));
            assertEquals(WRITES, r1.count("read "), r1.toString());
            assertFalse(r1.mentions("Pattern verification failed"), r1.toString());

            // Before the backup starts the backup LUN is NOT READY: reads fail.
            Clients.Result notReady = Clients.qemuIo(backup, List.of("read 0 4k"), true);
            assertEquals(0, notReady.count("read "), notReady.toString());

            ScsiTarget target = app.controller().scsiTarget();
            ItNexus nexus = target.openNexus("iqn.2026-11.io.evasan:backup-host", "iqn.2026-11.io.evasan:backup-host,i,0x1",
                    EmbeddedAppliance.DEFAULT_IQN + ",t,0x1", 1);
            clearUnitAttention(target, nexus);
            ScsiTask initiate = dcmd(target, nexus, DcmdDescriptor.DCMD_SNAPSHOT_INITIATE);
            assertEquals(ScsiStatus.GOOD, initiate.status(), "DCMD initiate: sense " + senseOf(initiate));

            Clients.Result w2 = Clients.qemuIo(lun, commands("write", offsets, 0x80));
            assertEquals(WRITES, w2.count("wrote "), w2.toString());

            Clients.Result oldData = Clients.qemuIo(backup, commands("read", offsets, 0x10), true);
            assertEquals(WRITES, oldData.count("read "), oldData.toString());
            assertFalse(oldData.mentions("Pattern verification failed"), oldData.toString());
            Clients.Result newData = Clients.qemuIo(lun, commands("read", offsets, 0x80));
            assertEquals(WRITES, newData.count("read "), newData.toString());
            assertFalse(newData.mentions("Pattern verification failed"), newData.toString());

            Path image = dir.resolve("lun0.img");
            Clients.Result conv = Clients.run(300, List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", lun, image.toString()));
            assertEquals(0, conv.exitCode(), conv.toString());
            assertImageMatchesModel(image, offsets, 0x80);

            ScsiTask terminate = dcmd(target, nexus, DcmdDescriptor.DCMD_SNAPSHOT_TERMINATE);
            assertEquals(ScsiStatus.GOOD, terminate.status(), "DCMD terminate: sense " + senseOf(terminate));
            Clients.Result after = Clients.qemuIo(backup, List.of("read 0 4k"), true);
            assertEquals(0, after.count("read "), "backup LUN must be NOT READY after terminate: " + after);
            target.closeNexus(nexus);
        }
    }

    /** Non-overlapping 64 KiB-aligned offsets spread over the LUN, several inside one 1 MB segment. */
    private static long[] scatteredOffsets(Random rnd) {
        TreeMap<Long, Boolean> chosen = new TreeMap<>();
        while (chosen.size() < WRITES) {
            chosen.put((long) rnd.nextInt((int) (LUN_BYTES / LEN)) * LEN, true);
        }
        return chosen.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    private static int pattern(int base, int i) {
        return base + (i % 0x70);
    }

    private static List<String> commands(String verb, long[] offsets, int base) {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < offsets.length; i++) {
            c.add(verb + " -P " + pattern(base, i) + " " + offsets[i] + " " + LEN);
        }
        return c;
    }

    private static void assertImageMatchesModel(Path image, long[] offsets, int base) throws IOException {
        byte[] expected = new byte[1 << 20];
        byte[] actual = new byte[1 << 20];
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            assertEquals(LUN_BYTES, f.length(), "image size");
            for (long chunk = 0; chunk < LUN_BYTES; chunk += expected.length) {
                Arrays.fill(expected, (byte) 0);
                for (int i = 0; i < offsets.length; i++) {
                    if (offsets[i] >= chunk && offsets[i] < chunk + expected.length) {
                        int at = (int) (offsets[i] - chunk);
                        Arrays.fill(expected, at, at + LEN, (byte) pattern(base, i));
                    }
                }
                f.readFully(actual);
                if (!Arrays.equals(expected, actual)) {
                    int i = Arrays.mismatch(expected, actual);
                    throw new AssertionError("image differs from the model at byte " + (chunk + i)
                            + ": expected " + expected[i] + " got " + actual[i]);
                }
            }
        }
    }

    private static void clearUnitAttention(ScsiTarget target, ItNexus nexus) throws Exception {
        for (int i = 0; i < 5; i++) {
            ScsiTask t = submit(target, nexus, new byte[6], 0);
            if (t.status() == ScsiStatus.GOOD) {
                return;
            }
        }
        throw new AssertionError("TEST UNIT READY never became GOOD");
    }

    private static ScsiTask dcmd(ScsiTarget target, ItNexus nexus, int subOpcode) throws Exception {
        byte[] cdb = new byte[DcmdDescriptor.CDB_LENGTH];
        cdb[0] = 0x20;
        cdb[DcmdDescriptor.SUB_OPCODE_OFFSET] = (byte) subOpcode;
        return submit(target, nexus, cdb, 0);
    }

    private static ScsiTask submit(ScsiTarget target, ItNexus nexus, byte[] cdb, int dataIn) throws Exception {
        ScsiTask t = new ScsiTask().reset(nexus, 0, System.nanoTime(), ScsiTask.Attribute.SIMPLE, cdb.length, dataIn,
                dataIn > 0, false);
        System.arraycopy(cdb, 0, t.cdb(), 0, cdb.length);
        t.dataIn(ByteBuffer.allocate(Math.max(dataIn, 16)));
        CompletableFuture<ScsiTask> done = new CompletableFuture<>();
        t.callback(done::complete);
        target.submit(t);
        return done.get(30, TimeUnit.SECONDS);
    }

    private static String senseOf(ScsiTask t) {
        byte[] s = Arrays.copyOf(t.sense(), t.senseLength());
        StringBuilder b = new StringBuilder();
        for (byte x : s) {
            b.append(String.format("%02x", x));
        }
        return b.toString();
    }

    @Test
    void shouldAnswerDiscoveryAndInquiryOnFirstStart() throws Exception {
        Clients.require("iscsi-ls", "iscsi-inq");
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data2"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID1, LUN_BYTES, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            assertTrue(app.firstStart());
            Clients.Result ls = Clients.run(60, List.of("iscsi-ls", "-s", "iscsi://127.0.0.1:" + app.iscsiPort()));
            assertTrue(ls.mentions("Target:" + EmbeddedAppliance.DEFAULT_IQN), ls.toString());
            assertTrue(ls.mentions("Lun:0"), ls.toString());
            Clients.Result inq = Clients.run(60, List.of("iscsi-inq", app.iscsiUrl(0)));
            assertTrue(inq.mentions("Peripheral Device Type:DIRECT_ACCESS"), inq.toString());

            // the management API is up on loopback, refuses requests without the first-start token
            String token = app.createdToken().orElseThrow();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI luns = java.net.URI.create("http://127.0.0.1:" + app.mgmtPort() + "/api/luns");
            java.net.http.HttpResponse<String> anonymous = http.send(java.net.http.HttpRequest.newBuilder(luns).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            java.net.http.HttpResponse<String> admin = http.send(java.net.http.HttpRequest.newBuilder(luns)
                    .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, admin.statusCode(), admin.body());
            assertTrue(admin.body().contains(EmbeddedAppliance.FIRST_LUN), admin.body());
        }
    }
}
