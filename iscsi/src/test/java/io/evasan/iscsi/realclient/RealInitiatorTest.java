package io.evasan.iscsi.realclient;

import io.evasan.iscsi.IscsiTargetConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real initiators against our target over the scsi executor with a thin in-memory LUN:
 * iscsi-inq, iscsi-readcapacity16, iscsi-ls (discovery, with and without CHAP, wrong secret refused),
 * qemu-io pattern writes/reads at scattered offsets and qemu-img convert of the whole LUN compared
 * with the expected image. (The snapshot part of the qemu scenario needs the controller and
 * is not here.)
 */
class RealInitiatorTest {
    static final long LUN_BYTES = 64L << 20;
    static final String CHAP_INITIATOR = "iqn.2026-01.io.evasan:chap-client";
    static RealClients.Fixture fx;

    @BeforeAll
    static void start() {
        fx = RealClients.start(LUN_BYTES, IscsiTargetConfig.create()
                .chap(CHAP_INITIATOR, "chapuser", "chap-secret-123"));
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void shouldAnswerIscsiInqAndReadCapacity16() throws Exception {
        RealClients.requireTool("iscsi-inq");
        RealClients.Run r = RealClients.run(30, "iscsi-inq", fx.url(0));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("Peripheral Device Type:DIRECT_ACCESS"), r.output());
        r = RealClients.run(30, "iscsi-readcapacity16", fx.url(0));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("Total size:" + LUN_BYTES), r.output());
        assertTrue(r.output().contains("LOGICAL BLOCK LENGTH IN BYTES:512"), r.output());
    }

    @Test
    void shouldListTargetsAndLunsWithIscsiLs() throws Exception {
        RealClients.requireTool("iscsi-ls");
        RealClients.Run r = RealClients.run(30, "iscsi-ls", "-s", "iscsi://127.0.0.1:" + fx.port());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("Target:" + RealClients.IQN + " Portal:127.0.0.1:" + fx.port() + ",1"), r.output());
        assertTrue(r.output().contains("Lun:0") && r.output().contains("DIRECT_ACCESS"), r.output());
    }

    @Test
    void shouldRequireTheRightChapSecretForDiscoveryAndLogin() throws Exception {
        RealClients.requireTool("iscsi-ls");
        RealClients.Run ok = RealClients.run(30, "iscsi-ls", "-s", "-i", CHAP_INITIATOR,
                "iscsi://chapuser%chap-secret-123@127.0.0.1:" + fx.port());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("Lun:0"), ok.output());
        RealClients.Run bad = RealClients.run(30, "iscsi-ls", "-s", "-i", CHAP_INITIATOR,
                "iscsi://chapuser%wrong-secret-1@127.0.0.1:" + fx.port());
        assertNotEquals(0, bad.exit(), bad.output());
        assertTrue(bad.output().contains("Authentication failure"), bad.output());
        RealClients.Run none = RealClients.run(30, "iscsi-ls", "-s", "-i", CHAP_INITIATOR,
                "iscsi://127.0.0.1:" + fx.port());
        assertNotEquals(0, none.exit(), "CHAP configured for this initiator: no-auth login refused\n" + none.output());
    }

    @Test
    void shouldWriteAndVerifyPatternsWithQemuIoThenConvertTheLun() throws Exception {
        RealClients.requireTool("qemu-io");
        RealClients.requireTool("qemu-img");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("qemu-io pattern seed=" + seed);
        Random rnd = new Random(seed);
        byte[] expected = new byte[(int) LUN_BYTES];
        List<String> writes = new ArrayList<>();
        List<String> reads = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            long len = 512L * (1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 2048));
            long off = 512L * rnd.nextInt((int) ((LUN_BYTES - len) / 512));
            int pattern = 1 + rnd.nextInt(254);
            for (long b = off; b < off + len; b++) {
                expected[(int) b] = (byte) pattern;
            }
            writes.add("write -P 0x" + Integer.toHexString(pattern) + " " + off + " " + len);
        }
        // read back every region that survived later overlapping writes by checking final contents per region
        for (String w : writes) {
            String[] p = w.split(" ");
            long off = Long.parseLong(p[3]);
            long len = Long.parseLong(p[4]);
            int pat = expected[(int) off] & 0xff;
            boolean uniform = true;
            for (long b = off; b < off + len; b++) {
                if ((expected[(int) b] & 0xff) != pat) {
                    uniform = false;
                    break;
                }
            }
            if (uniform) {
                reads.add("read -P 0x" + Integer.toHexString(pat) + " " + off + " " + len);
            }
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : writes) {
            cmd.add("-c");
            cmd.add(c);
        }
        for (String c : reads) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(fx.url(0));
        RealClients.Run r = RealClients.run(120, cmd.toArray(new String[0]));
        assertEquals(0, r.exit(), r.output());
        assertFalse(r.output().contains("Pattern verification failed"), r.output());
        assertEquals(writes.size(), count(r.output(), "wrote "), r.output());
        assertEquals(reads.size(), count(r.output(), "read "), r.output());
        // header digests through qemu's driver options
        RealClients.Run hd = RealClients.run(60, "qemu-io", "--image-opts", "-c", reads.get(0),
                "driver=iscsi,transport=tcp,portal=127.0.0.1:" + fx.port() + ",target=" + RealClients.IQN
                        + ",lun=0,header-digest=crc32c");
        assertEquals(0, hd.exit(), hd.output());
        assertFalse(hd.output().contains("Pattern verification failed"), hd.output());
        // whole-LUN copy compared with the expected image
        Path dir = Paths.get("target", "qemu-convert");
        Files.createDirectories(dir);
        Path out = dir.resolve("lun0.img");
        Files.deleteIfExists(out);
        RealClients.Run conv = RealClients.run(120, "qemu-img", "convert", "-f", "raw", "-O", "raw", fx.url(0), out.toString());
        assertEquals(0, conv.exit(), conv.output());
        byte[] got = Files.readAllBytes(out);
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            if (got[i] != expected[i]) {
                fail("converted image differs at byte " + i + " (seed " + seed + ")");
            }
        }
        Files.deleteIfExists(out);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (String line : s.split("\n")) {
            if (line.startsWith(what)) {
                n++;
            }
        }
        return n;
    }
}
