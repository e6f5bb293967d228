package io.evasan.iscsi;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Random and mutated PDUs against a live target while a well-behaved session writes and verifies
 * data. The target must never let an exception escape onto the event loop, must keep serving the
 * good session with correct data, and must still accept new logins afterwards.
 *
 * <p>Seed: {@code -Devasan.fuzz.seed=N}; size: {@code -Devasan.fuzz.connections=N} (default 200
 * connections, about 14000 PDUs).
 */
class FuzzTest {
    static final String IQN = "iqn.2026-01.io.evasan:fuzz";

    @Test
    void shouldSurviveRandomAndMutatedPdusWithoutDisturbingAGoodSession() throws Exception {
        long seed = Long.getLong("evasan.fuzz.seed", System.nanoTime());
        int connections = Integer.getInteger("evasan.fuzz.connections", 200);
        System.out.println("FuzzTest seed=" + seed + " connections=" + connections);
        Vertx vertx = Vertx.vertx();
        ConcurrentLinkedQueue<Throwable> escaped = new ConcurrentLinkedQueue<>();
        vertx.exceptionHandler(escaped::add);
        RamDiskScsiTarget disk = new RamDiskScsiTarget(4 << 20);
        IscsiTargetServer server = new IscsiTargetServer(vertx, IscsiTargetConfig.create().port(0)
                .addTarget(IQN, null, disk).maxRecvDataSegmentLength(16384).nopInIntervalMillis(0));
        int port = server.start();
        AtomicReference<Throwable> goodFailure = new AtomicReference<>();
        final boolean[] stop = {false};
        final int[] goodOps = {0};
        Thread good = new Thread(() -> {
            try (TestInitiator t = new TestInitiator(port)) {
                t.isid[5] = 99;
                assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "MaxRecvDataSegmentLength=16384",
                        "ImmediateData=Yes", "InitialR2T=No")));
                Random r = new Random(seed ^ 0x5555);
                byte[] data = new byte[8192];
                while (!stop[0]) {
                    r.nextBytes(data);
                    int lba = 4096 + r.nextInt(1024);
                    int itt = t.itt++;
                    t.send(t.scsiCmd(itt, false, true, true, data.length, TestInitiator.cdb10(0x2a, lba, 16), false), data);
                    t.cmdSN++;
                    TestInitiator.Rx rsp = t.readSkippingPings(5000);
                    assertNotNull(rsp, "good session write answered");
                    assertEquals(0x21, rsp.opcode());
                    assertEquals(0, rsp.u8(3));
                    itt = t.itt++;
                    t.send(t.scsiCmd(itt, true, false, true, data.length, TestInitiator.cdb10(0x28, lba, 16), false), null);
                    t.cmdSN++;
                    byte[] got = new byte[data.length];
                    int n = 0;
                    while (true) {
                        TestInitiator.Rx d = t.readSkippingPings(5000);
                        assertNotNull(d, "good session read answered");
                        assertEquals(0x25, d.opcode());
                        System.arraycopy(d.data, 0, got, d.u32(40), d.data.length);
                        n += d.data.length;
                        if ((d.flags() & 1) != 0) {
                            break;
                        }
                    }
                    assertEquals(data.length, n);
                    assertArrayEquals(data, got, "good session data intact");
                    goodOps[0]++;
                }
            } catch (Throwable e) {
                goodFailure.set(e);
            }
        }, "good-session");
        good.start();
        Random rnd = new Random(seed);
        int pdus = 0;
        for (int c = 0; c < connections; c++) {
            pdus += fuzzConnection(port, rnd, c);
        }
        stop[0] = true;
        good.join(20000);
        assertNull(goodFailure.get(), () -> "good session disturbed (seed " + seed + "): " + goodFailure.get());
        assertTrue(goodOps[0] > 0, "good session made progress");
        assertTrue(escaped.isEmpty(), () -> "exception escaped the transport (seed " + seed + "): " + escaped.peek());
        // server still serves new sessions
        try (TestInitiator t = new TestInitiator(port)) {
            assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "HeaderDigest=None")));
            assertNotNull(t.ping(new byte[]{1}));
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (server.connectionCount() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, server.connectionCount(), "every fuzz connection was cleaned up");
        System.out.println("FuzzTest sent " + pdus + " PDUs, good session ops " + goodOps[0]
                + ", protocol errors answered " + server.protocolErrors());
        assertTrue(pdus >= connections * 50, "enough PDUs sent");
        server.stop();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    /** Sends random or mutated traffic on one connection; returns PDUs sent. */
    private static int fuzzConnection(int port, Random rnd, int index) throws Exception {
        int mode = rnd.nextInt(4);
        if (mode <= 1) {
            return fuzzBeforeLogin(port, rnd, index, mode);
        }
        int sent = 0;
        try (TestInitiator t = new TestInitiator(port)) {
            t.socket.setSoTimeout(200);
            t.isid[4] = (byte) index;
            // log in properly, then send mutated full-feature PDUs
            TestInitiator.Rx r = t.loginNormal(IQN, "MaxRecvDataSegmentLength=16384", "InitialR2T=No",
                    mode == 3 ? "HeaderDigest=CRC32C" : "HeaderDigest=None");
            if (TestInitiator.statusOf(r) != 0) {
                return sent;
            }
            for (int i = 0; i < 80; i++) {
                byte[] h;
                byte[] data = null;
                int kind = rnd.nextInt(7);
                int itt = rnd.nextInt(16);
                switch (kind) {
                    case 0 -> h = t.nopOut(itt, -1, rnd.nextBoolean());
                    case 1 -> {
                        h = t.scsiCmd(itt, true, false, true, rnd.nextInt(70000), TestInitiator.cdb10(0x28, rnd.nextInt(9000), rnd.nextInt(200)), false);
                    }
                    case 2 -> {
                        data = new byte[rnd.nextInt(9000)];
                        h = t.scsiCmd(itt, false, true, rnd.nextBoolean(), rnd.nextInt(70000), TestInitiator.cdb10(0x2a, rnd.nextInt(9000), rnd.nextInt(200)), false);
                    }
                    case 3 -> {
                        data = new byte[rnd.nextInt(9000)];
                        h = t.dataOut(itt, rnd.nextBoolean() ? -1 : rnd.nextInt(40), rnd.nextInt(4), rnd.nextInt(20000), rnd.nextBoolean());
                    }
                    case 4 -> {
                        h = TestInitiator.bhs(0x02 | 0x40, 0x80 | rnd.nextInt(10));
                        TestInitiator.put32(h, 20, rnd.nextInt(16));
                    }
                    case 5 -> {
                        h = TestInitiator.bhs(0x04, 0x80);
                        data = TestInitiator.text("SendTargets=All", "Junk" + rnd.nextInt() + "=x");
                    }
                    default -> {
                        h = new byte[48];
                        rnd.nextBytes(h);
                        h[4] = (byte) rnd.nextInt(3);
                    }
                }
                TestInitiator.put32(h, 24, rnd.nextInt(5) == 0 ? rnd.nextInt() : t.cmdSN);
                if (rnd.nextBoolean() && kind != 6) {
                    mutate(rnd, h, data);
                }
                if ((h[0] & 0x40) == 0 && rnd.nextBoolean()) {
                    t.cmdSN++;
                }
                if (!writePdu(t, h, data, rnd)) {
                    break;
                }
                sent++;
                drain(t);
            }
            if (rnd.nextBoolean()) {
                byte[] lo = TestInitiator.bhs(0x46, 0x80);
                writePdu(t, lo, null, rnd);
            }
        }
        return sent;
    }

    /** Garbage bytes (mode 0) or mutated login requests (mode 1); reconnects whenever the target hangs up. */
    private static int fuzzBeforeLogin(int port, Random rnd, int index, int mode) throws Exception {
        int sent = 0;
        TestInitiator t = null;
        try {
            while (sent < 60) {
                if (t == null) {
                    t = new TestInitiator(port);
                    t.socket.setSoTimeout(200);
                    t.isid[4] = (byte) index;
                }
                boolean ok;
                if (mode == 0) {
                    byte[] junk = new byte[48 + rnd.nextInt(300)];
                    rnd.nextBytes(junk);
                    if (rnd.nextBoolean()) {
                        junk[0] = 0x43; // looks like a login request
                    }
                    ok = write(t, junk);
                } else {
                    byte[] h = t.loginBhs(rnd.nextBoolean(), rnd.nextInt(8) == 0, rnd.nextInt(4), rnd.nextInt(4));
                    byte[] text = TestInitiator.text("InitiatorName=iqn.x:" + rnd.nextInt(9), "TargetName=" + IQN,
                            "AuthMethod=" + (rnd.nextBoolean() ? "None" : "CHAP"), "MaxBurstLength=" + rnd.nextInt(),
                            "HeaderDigest=" + (rnd.nextBoolean() ? "CRC32C" : "Bogus"));
                    mutate(rnd, h, text);
                    ok = writePdu(t, h, text, rnd);
                }
                drain(t);
                if (ok && !t.socket.isClosed()) {
                    sent++;
                }
                if (!ok || rnd.nextInt(8) == 0) {
                    t.close();
                    t = null;
                }
            }
        } finally {
            if (t != null) {
                t.close();
            }
        }
        return sent;
    }

    private static void mutate(Random rnd, byte[] h, byte[] data) {
        int flips = 1 + rnd.nextInt(4);
        for (int i = 0; i < flips; i++) {
            if (data != null && data.length > 0 && rnd.nextInt(3) == 0) {
                data[rnd.nextInt(data.length)] ^= (byte) (1 << rnd.nextInt(8));
            } else {
                int off = rnd.nextInt(48);
                if (off >= 4 && off <= 7) {
                    continue; // keep length fields honest here; framing attacks come from garbage mode
                }
                h[off] = (byte) rnd.nextInt(256);
            }
        }
    }

    /** Writes a PDU (maybe truncated or with a lying DataSegmentLength); false when the target closed. */
    private static boolean writePdu(TestInitiator t, byte[] h, byte[] data, Random rnd) {
        try {
            if (rnd.nextInt(10) == 0) {
                // lying length: announce more than we send, then garbage follows
                byte[] d = data == null ? new byte[0] : data;
                int claim = rnd.nextInt(1 << 20);
                h[5] = (byte) (claim >>> 16);
                h[6] = (byte) (claim >>> 8);
                h[7] = (byte) claim;
                List<byte[]> parts = new ArrayList<>();
                parts.add(h);
                parts.add(d);
                for (byte[] p : parts) {
                    t.sendRaw(p);
                }
                return true;
            }
            if (t.headerDigest && rnd.nextInt(20) == 0) {
                t.headerDigest = false; // wrong framing: no digest where one is due
                t.send(h, data);
                t.headerDigest = true;
                return true;
            }
            t.send(h, data);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean write(TestInitiator t, byte[] b) {
        try {
            t.sendRaw(b);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void drain(TestInitiator t) {
        try {
            if (t.in.available() > 0) {
                byte[] b = new byte[Math.min(65536, t.in.available())];
                int n = t.in.read(b);
                if (n < 0) {
                    return;
                }
                Arrays.fill(b, (byte) 0);
            }
        } catch (IOException ignored) {
            // the target may have closed: expected under fuzzing
        }
    }
}
