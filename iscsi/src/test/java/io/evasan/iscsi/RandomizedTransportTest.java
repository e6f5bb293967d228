package io.evasan.iscsi;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded random writes and reads through the transport under random negotiated parameters
 * (ImmediateData, InitialR2T, FirstBurstLength, MaxBurstLength, both MaxRecvDataSegmentLengths,
 * MaxOutstandingR2T, digests) against a plain byte-array model. Prints the seed; a failure names
 * the seed, session and step. {@code -Devasan.seed=N} replays, {@code -Devasan.steps=N} lengthens.
 */
class RandomizedTransportTest {
    static final String IQN = "iqn.2026-01.io.evasan:random";
    static final int DISK = 8 << 20;
    static RamDiskScsiTarget disk;
    static IscsiTargetServer server;
    static int port;

    @BeforeAll
    static void start() {
        disk = new RamDiskScsiTarget(DISK);
        server = new IscsiTargetServer(IscsiTargetConfig.create().port(0).addTarget(IQN, null, disk)
                .maxRecvDataSegmentLength(16384).firstBurstLength(65536).maxBurstLength(131072)
                .maxOutstandingR2T(4).nopInIntervalMillis(0));
        port = server.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void shouldMatchTheModelUnderRandomNegotiation() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 400);
        System.out.println("RandomizedTransportTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        byte[] model = new byte[DISK];
        int step = 0;
        int session = 0;
        while (step < steps) {
            session++;
            try (TestInitiator t = new TestInitiator(port)) {
                t.isid[5] = (byte) session;
                boolean imm = rnd.nextBoolean();
                boolean r2t = rnd.nextBoolean();
                int initMrdsl = 512 << rnd.nextInt(7);
                TestInitiator.Rx r = t.loginNormal(IQN,
                        "ImmediateData=" + (imm ? "Yes" : "No"),
                        "InitialR2T=" + (r2t ? "Yes" : "No"),
                        "FirstBurstLength=" + (512 << rnd.nextInt(9)),
                        "MaxBurstLength=" + (4096 << rnd.nextInt(8)),
                        "MaxRecvDataSegmentLength=" + initMrdsl,
                        "MaxOutstandingR2T=" + (1 + rnd.nextInt(8)),
                        "HeaderDigest=" + (rnd.nextBoolean() ? "CRC32C" : "None"),
                        "DataDigest=" + (rnd.nextBoolean() ? "CRC32C" : "None"));
                assertEquals(0, TestInitiator.statusOf(r), "seed " + seed);
                Map<String, String> k = r.keys();
                int targetMrdsl = Integer.parseInt(k.get("MaxRecvDataSegmentLength"));
                int firstBurst = Integer.parseInt(k.get("FirstBurstLength"));
                int maxBurst = Integer.parseInt(k.get("MaxBurstLength"));
                int maxR2t = Integer.parseInt(k.get("MaxOutstandingR2T"));
                boolean immediate = "Yes".equals(k.get("ImmediateData"));
                boolean initialR2T = "Yes".equals(k.get("InitialR2T"));
                int opsThisSession = 20 + rnd.nextInt(60);
                for (int i = 0; i < opsThisSession && step < steps; i++, step++) {
                    String where = "seed " + seed + " session " + session + " step " + step;
                    int blocks = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 600);
                    int lba = rnd.nextInt(DISK / 512 - blocks);
                    int len = blocks * 512;
                    if (rnd.nextBoolean()) {
                        byte[] data = new byte[len];
                        rnd.nextBytes(data);
                        write(t, lba, data, immediate, initialR2T, firstBurst, maxBurst, maxR2t, targetMrdsl, where);
                        System.arraycopy(data, 0, model, lba * 512, len);
                    } else {
                        byte[] got = read(t, lba, len, initMrdsl, maxBurst, where);
                        assertArrayEquals(Arrays.copyOfRange(model, lba * 512, lba * 512 + len), got, where);
                    }
                }
            }
        }
    }

    private static void write(TestInitiator t, int lba, byte[] data, boolean immediate, boolean initialR2T, int firstBurst,
                              int maxBurst, int maxR2t, int targetMrdsl, String where) throws Exception {
        int itt = t.itt++;
        int len = data.length;
        int unsolicitedLimit = initialR2T && !immediate ? 0 : Math.min(firstBurst, len);
        int immLen = immediate ? Math.min(unsolicitedLimit, targetMrdsl) : 0;
        boolean moreUnsolicited = !initialR2T && immLen < Math.min(firstBurst, len);
        byte[] cmd = t.scsiCmd(itt, false, true, !moreUnsolicited, len, TestInitiator.cdb10(0x2a, lba, len / 512), false);
        t.send(cmd, immLen == 0 ? null : Arrays.copyOfRange(data, 0, immLen));
        t.cmdSN++;
        if (moreUnsolicited) {
            int end = Math.min(firstBurst, len);
            int sn = 0;
            for (int off = immLen; off < end; ) {
                int n = Math.min(targetMrdsl, end - off);
                t.send(t.dataOut(itt, -1, sn++, off, off + n >= end), Arrays.copyOfRange(data, off, off + n));
                off += n;
            }
        }
        int outstanding = 0;
        while (true) {
            TestInitiator.Rx r = t.readSkippingPings(5000);
            assertNotNull(r, where + ": no answer to write");
            if (r.opcode() == 0x31) {
                outstanding++;
                assertTrue(outstanding <= maxR2t, where + ": more than MaxOutstandingR2T R2Ts");
                int ttt = r.u32(20);
                int off = r.u32(40);
                int want = r.u32(44);
                assertTrue(want <= maxBurst, where + ": R2T beyond MaxBurstLength");
                int sn = 0;
                for (int o = off; o < off + want; ) {
                    int n = Math.min(targetMrdsl, off + want - o);
                    t.send(t.dataOut(itt, ttt, sn++, o, o + n >= off + want), Arrays.copyOfRange(data, o, o + n));
                    o += n;
                }
                outstanding--;
                continue;
            }
            assertEquals(0x21, r.opcode(), where + (r.opcode() == 0x3f ? ": Reject reason " + r.u8(2)
                    + " of opcode 0x" + Integer.toHexString(r.data[0] & 0x3f) + " flags 0x" + Integer.toHexString(r.data[1] & 0xff)
                    + " dsl " + (((r.data[5] & 0xff) << 16) | ((r.data[6] & 0xff) << 8) | (r.data[7] & 0xff))
                    + " edtl " + java.nio.ByteBuffer.wrap(r.data, 20, 4).getInt() : ""));
            assertEquals(itt, r.itt(), where);
            assertEquals(0, r.u8(3), where + ": write status");
            return;
        }
    }

    private static byte[] read(TestInitiator t, int lba, int len, int initMrdsl, int maxBurst, String where) throws Exception {
        int itt = t.itt++;
        t.send(t.scsiCmd(itt, true, false, true, len, TestInitiator.cdb10(0x28, lba, len / 512), false), null);
        t.cmdSN++;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int expectSN = 0;
        while (true) {
            TestInitiator.Rx r = t.readSkippingPings(5000);
            assertNotNull(r, where + ": no Data-In");
            assertEquals(0x25, r.opcode(), where);
            assertEquals(expectSN++, r.u32(36), where + ": DataSN");
            assertEquals(got.size(), r.u32(40), where + ": buffer offset");
            assertTrue(r.data.length <= initMrdsl, where + ": Data-In beyond the initiator's MaxRecvDataSegmentLength");
            got.write(r.data);
            if (got.size() % maxBurst == 0 && got.size() < len) {
                assertEquals(0x80, r.flags() & 0x80, where + ": F bit at the end of each burst");
            }
            if ((r.flags() & 1) != 0) {
                assertEquals(0, r.u8(3), where);
                return got.toByteArray();
            }
        }
    }
}
