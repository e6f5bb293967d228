package io.evasan.iscsi;

import io.evasan.iscsi.login.LoginStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static io.evasan.iscsi.TestInitiator.Rx;
import static io.evasan.iscsi.TestInitiator.put32;
import static org.junit.jupiter.api.Assertions.*;

/** Protocol behaviour of the target, driven by a raw test initiator against a RAM disk. */
class TransportTest {
    static final String IQN = "iqn.2026-01.io.evasan:transport";
    static final String IQN2 = "iqn.2026-01.io.evasan:second";
    static final String CHAP_INIT = "iqn.2026-01.io.evasan:chap-init";
    static RamDiskScsiTarget disk;
    static IscsiTargetServer server;
    static int port;
    static final java.util.Queue<String> refused = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() {
        disk = new RamDiskScsiTarget(8 << 20);
        IscsiTargetConfig cfg = IscsiTargetConfig.create().port(0)
                .addTarget(IQN, "transport-alias", disk)
                .addTarget(IQN2, null, new RamDiskScsiTarget(1 << 20))
                .chap(CHAP_INIT, "alice", "alice-secret-12", "target-bob", "bob-secret-123")
                .maxRecvDataSegmentLength(8192)
                .maxBurstLength(16384)
                .firstBurstLength(8192)
                .maxOutstandingR2T(2)
                .nopInIntervalMillis(500)
                .nopInTimeoutMillis(2000)
                .loginFailureListener((name, address, status) -> refused.add(name + " " + address + " " + Integer.toHexString(status)));
        server = new IscsiTargetServer(cfg);
        port = server.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    private static TestInitiator session(String... opKeys) throws Exception {
        TestInitiator t = new TestInitiator(port);
        Rx r = t.loginNormal(IQN, opKeys.length == 0 ? new String[]{"HeaderDigest=None", "DataDigest=None",
                "MaxRecvDataSegmentLength=4096", "InitialR2T=No", "ImmediateData=Yes", "FirstBurstLength=8192",
                "MaxBurstLength=16384", "MaxOutstandingR2T=2"} : opKeys);
        assertEquals(0, TestInitiator.statusOf(r), "login status");
        assertTrue((r.flags() & 0x80) != 0 && (r.flags() & 3) == 3, "transit to full feature");
        return t;
    }

    @Test
    void shouldNegotiateAndAnnounceTargetParameters() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            Rx r = t.login(true, 0, 1, "InitiatorName=" + t.initiatorName, "SessionType=Normal", "TargetName=" + IQN,
                    "AuthMethod=None", "X-com.example.private=1");
            Map<String, String> k = r.keys();
            assertEquals("None", k.get("AuthMethod"));
            assertEquals("1", k.get("TargetPortalGroupTag"));
            assertEquals("transport-alias", k.get("TargetAlias"));
            assertEquals("NotUnderstood", k.get("X-com.example.private"));
            assertEquals(0x81, r.flags() & 0xff, "T=1 CSG=0 NSG=1");
            r = t.login(true, 1, 3, "MaxConnections=8", "ErrorRecoveryLevel=2", "MaxBurstLength=1048576",
                    "FirstBurstLength=1048576", "InitialR2T=No", "ImmediateData=Yes", "MaxOutstandingR2T=64",
                    "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "DefaultTime2Wait=0", "DefaultTime2Retain=0",
                    "HeaderDigest=CRC32C,None", "DataDigest=None", "MaxRecvDataSegmentLength=65536", "BogusKey=1");
            k = r.keys();
            assertEquals("1", k.get("MaxConnections"));
            assertEquals("0", k.get("ErrorRecoveryLevel"));
            assertEquals("16384", k.get("MaxBurstLength"));
            assertEquals("8192", k.get("FirstBurstLength"));
            assertEquals("No", k.get("InitialR2T"));
            assertEquals("2", k.get("MaxOutstandingR2T"));
            assertEquals("2", k.get("DefaultTime2Wait"));
            assertEquals("CRC32C", k.get("HeaderDigest"));
            assertEquals("8192", k.get("MaxRecvDataSegmentLength"));
            assertEquals("NotUnderstood", k.get("BogusKey"));
            assertNotEquals(0, ((r.bhs[14] & 0xff) << 8) | (r.bhs[15] & 0xff), "TSIH assigned");
            t.headerDigest = true;
            Rx nop = t.ping(new byte[]{1, 2, 3, 4, 5});
            assertEquals(0x20, nop.opcode());
            assertArrayEquals(new byte[]{1, 2, 3, 4, 5}, nop.data);
        }
    }

    @Test
    void shouldRefuseUnknownTargetMissingNameBadVersionAndReusedTsih() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            Rx r = t.login(true, 0, 1, "InitiatorName=" + t.initiatorName, "TargetName=iqn.2026-01.io.evasan:nope", "AuthMethod=None");
            assertEquals(LoginStatus.NOT_FOUND, TestInitiator.statusOf(r));
            assertTrue(t.closedWithin(2000));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            Rx r = t.login(true, 0, 1, "TargetName=" + IQN, "AuthMethod=None");
            assertEquals(LoginStatus.MISSING_PARAMETER, TestInitiator.statusOf(r));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            byte[] b = t.loginBhs(true, false, 0, 1);
            b[3] = 2; // VersionMin 2
            b[2] = 2;
            t.send(b, TestInitiator.text("InitiatorName=" + t.initiatorName, "TargetName=" + IQN));
            assertEquals(LoginStatus.UNSUPPORTED_VERSION, TestInitiator.statusOf(t.read()));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            t.tsih = 0x7777;
            Rx r = t.login(true, 0, 1, "InitiatorName=" + t.initiatorName, "TargetName=" + IQN, "AuthMethod=None");
            assertEquals(LoginStatus.SESSION_DOES_NOT_EXIST, TestInitiator.statusOf(r));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            // a non-login PDU during login
            t.send(t.nopOut(1, -1, true), null);
            assertEquals(LoginStatus.INVALID_DURING_LOGIN, TestInitiator.statusOf(t.read()));
            assertTrue(t.closedWithin(2000));
        }
    }

    @Test
    void shouldAcceptLoginTextSplitOverContinuedPdus() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            byte[] all = TestInitiator.text("InitiatorName=" + t.initiatorName, "SessionType=Normal", "TargetName=" + IQN,
                    "AuthMethod=None");
            byte[] a = Arrays.copyOfRange(all, 0, 20);
            byte[] b = Arrays.copyOfRange(all, 20, all.length);
            t.send(t.loginBhs(false, true, 0, 1), a);
            Rx ack = t.read();
            assertEquals(0, TestInitiator.statusOf(ack));
            assertEquals(0, ack.data.length, "empty acknowledgement of a continued login request");
            t.send(t.loginBhs(true, false, 0, 1), b);
            Rx r = t.read();
            assertEquals(0, TestInitiator.statusOf(r));
            assertEquals("None", r.keys().get("AuthMethod"));
        }
    }

    @Test
    void shouldAuthenticateWithOneWayAndMutualChap() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            assertEquals(0, TestInitiator.statusOf(t.loginChap(IQN, "alice", "alice-secret-12", null)));
            assertNotNull(t.ping(null));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            assertEquals(0, TestInitiator.statusOf(t.loginChap(IQN, "alice", "alice-secret-12", "bob-secret-123")));
            assertNotNull(t.ping(null));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            assertEquals(0, TestInitiator.statusOf(t.loginChap(null, "alice", "alice-secret-12", null)), "discovery with CHAP");
        }
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, TestInitiator.statusOf(t.loginChap(IQN, "alice", "wrong-secret-99", null)));
            assertTrue(t.closedWithin(2000));
        }
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            Rx r = t.login(true, 0, 1, "InitiatorName=" + CHAP_INIT, "TargetName=" + IQN, "AuthMethod=None");
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, TestInitiator.statusOf(r), "CHAP configured: None refused");
        }
    }

    @Test
    void shouldTellTheLoginFailureListenerOfARefusedChapLogin() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            t.initiatorName = CHAP_INIT;
            assertEquals(LoginStatus.AUTHENTICATION_FAILURE, TestInitiator.statusOf(t.loginChap(IQN, "alice", "bad-secret-1234", null)));
            assertTrue(t.closedWithin(2000));
        }
        assertTrue(refused.stream().anyMatch(r -> r.matches(java.util.regex.Pattern.quote(CHAP_INIT) + " \\S+ 201")),
                refused::toString);
    }

    @Test
    void shouldWriteWithImmediateUnsolicitedAndSolicitedDataThenReadBack() throws Exception {
        try (TestInitiator t = session()) {
            int blocks = 96; // 48 KiB: 4 KiB immediate + 4 KiB unsolicited + 40 KiB by R2T (16 KiB bursts, 2 outstanding)
            byte[] data = new byte[blocks * 512];
            new Random(5).nextBytes(data);
            int itt = 0x500;
            byte[] cmd = t.scsiCmd(itt, false, true, false, data.length, TestInitiator.cdb10(0x2a, 64, blocks), false);
            t.send(cmd, Arrays.copyOfRange(data, 0, 4096));
            t.cmdSN++;
            t.send(t.dataOut(itt, -1, 0, 4096, true), Arrays.copyOfRange(data, 4096, 8192));
            int[] r2ts = {0};
            Rx rsp = answerR2ts(t, itt, data, r2ts);
            assertEquals(0x21, rsp.opcode());
            assertEquals(0, rsp.u8(3), "GOOD");
            assertEquals(3, r2ts[0]);
            assertArrayEquals(data, Arrays.copyOfRange(disk.disk, 64 * 512, 64 * 512 + data.length));
            // read back: Data-In PDUs of at most 4096 bytes, status collapsed into the last one
            int ritt = 0x501;
            t.send(t.scsiCmd(ritt, true, false, true, data.length, TestInitiator.cdb10(0x28, 64, blocks), false), null);
            t.cmdSN++;
            byte[] got = new byte[data.length];
            int expectSN = 0;
            while (true) {
                Rx r = t.readSkippingPings(3000);
                assertEquals(0x25, r.opcode());
                assertEquals(expectSN++, r.u32(36), "DataSN");
                assertTrue(r.data.length <= 4096);
                System.arraycopy(r.data, 0, got, r.u32(40), r.data.length);
                if ((r.flags() & 1) != 0) {
                    assertEquals(0x80, r.flags() & 0x80, "F with S");
                    assertEquals(0, r.u8(3));
                    break;
                }
            }
            assertArrayEquals(data, got);
        }
    }

    @Test
    void shouldReportUnderflowResidualAndSenseInResponse() throws Exception {
        try (TestInitiator t = session()) {
            // READ CAPACITY(10) with a 64-byte buffer: 8 bytes produced, residual 56 (underflow)
            byte[] cdb = new byte[16];
            cdb[0] = 0x25;
            t.send(t.scsiCmd(0x600, true, false, true, 64, cdb, false), null);
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x25, r.opcode());
            assertEquals(8, r.data.length);
            assertEquals(0x02, r.flags() & 0x06, "U bit");
            assertEquals(56, r.u32(44));
            // read beyond the end: CHECK CONDITION with sense in a SCSI Response
            t.send(t.scsiCmd(0x601, true, false, true, 512, TestInitiator.cdb10(0x28, 1 << 20, 1), false), null);
            t.cmdSN++;
            r = t.readSkippingPings(3000);
            assertEquals(0x21, r.opcode());
            assertEquals(2, r.u8(3), "CHECK CONDITION");
            int senseLen = ((r.data[0] & 0xff) << 8) | (r.data[1] & 0xff);
            assertEquals(18, senseLen);
            assertEquals(0x05, r.data[2 + 2] & 0x0f, "ILLEGAL REQUEST");
            assertEquals(0x21, r.data[2 + 12] & 0xff, "LBA OUT OF RANGE");
        }
    }

    @Test
    void shouldDropCommandsOutsideTheWindowSilently() throws Exception {
        try (TestInitiator t = session()) {
            assertNotNull(t.ping(null));
            int max = t.maxCmdSN;
            // CmdSN == MaxCmdSN+1: ignored
            byte[] tur = new byte[16];
            byte[] b = t.scsiCmd(0x700, false, false, true, 0, tur, false);
            put32(b, 24, max + 1);
            t.send(b, null);
            assertNull(t.readSkippingPings(700), "no answer to CmdSN beyond MaxCmdSN");
            // CmdSN below ExpCmdSN: ignored
            b = t.scsiCmd(0x701, false, false, true, 0, tur, false);
            put32(b, 24, t.cmdSN - 1);
            t.send(b, null);
            assertNull(t.readSkippingPings(700), "no answer to a stale CmdSN");
            // the session still works with the right CmdSN
            t.send(t.scsiCmd(0x702, false, false, true, 0, tur, false), null);
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x21, r.opcode());
            assertEquals(0x702, r.itt());
            assertEquals(t.cmdSN, r.u32(28), "ExpCmdSN advanced by exactly the accepted commands");
            assertTrue(BhsOrder.lessOrEqual(t.cmdSN, r.u32(32)), "window open");
        }
    }

    /** Answers the R2Ts of write {@code itt} with 4 KiB Data-Out PDUs (counted in r2ts[0]); returns the response. */
    private static Rx answerR2ts(TestInitiator t, int itt, byte[] data, int[] r2ts) throws Exception {
        while (true) {
            Rx r = t.readSkippingPings(3000);
            assertNotNull(r, "expected R2T or response");
            if (r.opcode() != 0x31) {
                return r;
            }
            r2ts[0]++;
            int ttt = r.u32(20);
            int off = r.u32(40);
            int len = r.u32(44);
            assertTrue(len <= 16384, "R2T within MaxBurstLength");
            int sn = 0;
            for (int o = off; o < off + len; o += 4096) {
                int n = Math.min(4096, off + len - o);
                t.send(t.dataOut(itt, ttt, sn++, o, o + n >= off + len), Arrays.copyOfRange(data, o, o + n));
            }
        }
    }

    /**
     * Writes sent in small pieces, so that the target sees headers and data segments split over many
     * reads and places the data (immediate data too) into the command buffers as it arrives; one
     * write with immediate data is ahead of ExpCmdSN and held (a copy of a placed PDU).
     */
    @Test
    void shouldPlaceDataArrivingInFragmentsIncludingHeldImmediateData() throws Exception {
        try (TestInitiator t = session()) {
            t.dribble = 900;
            Random rnd = new Random(17);
            byte[] a = new byte[4096];
            byte[] b = new byte[4096];
            rnd.nextBytes(a);
            rnd.nextBytes(b);
            byte[] ahead = t.scsiCmd(0x721, false, true, true, a.length, TestInitiator.cdb10(0x2a, 200, 8), false);
            put32(ahead, 24, t.cmdSN + 1);
            t.send(ahead, a);
            assertNull(t.readSkippingPings(300), "held until the CmdSN gap fills");
            t.send(t.scsiCmd(0x720, false, true, true, b.length, TestInitiator.cdb10(0x2a, 300, 8), false), b);
            t.cmdSN += 2;
            for (int i = 0; i < 2; i++) {
                Rx r = t.readSkippingPings(3000);
                assertEquals(0x21, r.opcode());
                assertEquals(0, r.u8(3), "GOOD");
            }
            assertArrayEquals(a, Arrays.copyOfRange(disk.disk, 200 * 512, 200 * 512 + a.length));
            assertArrayEquals(b, Arrays.copyOfRange(disk.disk, 300 * 512, 300 * 512 + b.length));
            // 24 KiB: 4 KiB immediate, the rest by R2T in 4 KiB Data-Out PDUs, all in fragments
            byte[] data = new byte[24576];
            rnd.nextBytes(data);
            int itt = 0x722;
            t.send(t.scsiCmd(itt, false, true, true, data.length, TestInitiator.cdb10(0x2a, 400, 48), false),
                    Arrays.copyOfRange(data, 0, 4096));
            t.cmdSN++;
            Rx rsp = answerR2ts(t, itt, data, new int[1]);
            assertEquals(0x21, rsp.opcode());
            assertEquals(0, rsp.u8(3), "GOOD");
            assertArrayEquals(data, Arrays.copyOfRange(disk.disk, 400 * 512, 400 * 512 + data.length));
        }
    }

    @Test
    void shouldHoldCommandsAheadOfExpCmdSnUntilTheGapFills() throws Exception {
        try (TestInitiator t = session()) {
            byte[] tur = new byte[16];
            byte[] second = t.scsiCmd(0x711, false, false, true, 0, tur, false);
            put32(second, 24, t.cmdSN + 1);
            t.send(second, null);
            assertNull(t.readSkippingPings(500), "held until CmdSN gap fills");
            t.send(t.scsiCmd(0x710, false, false, true, 0, tur, false), null);
            t.cmdSN += 2;
            assertEquals(0x710, t.readSkippingPings(3000).itt());
            assertEquals(0x711, t.readSkippingPings(3000).itt());
        }
    }

    @Test
    void shouldRejectProtocolViolationsAndKeepTheSession() throws Exception {
        try (TestInitiator t = session()) {
            // unknown opcode -> Reject (command not supported), data = the bad header
            byte[] bad = TestInitiator.bhs(0x1c, 0x80);
            put32(bad, 16, 0x800);
            t.send(bad, null);
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x3f, r.opcode());
            assertEquals(0x05, r.u8(2));
            assertEquals(48, r.data.length);
            assertEquals(0x1c, r.data[0] & 0x3f);
            // SNACK at ERL 0
            t.send(TestInitiator.bhs(0x10, 0x80), null);
            assertEquals(0x3f, t.readSkippingPings(3000).opcode());
            // Data-Out for an unknown task
            t.send(t.dataOut(0x999, 0x999, 0, 0, true), new byte[512]);
            assertEquals(0x3f, t.readSkippingPings(3000).opcode());
            // login request in full feature phase
            t.send(t.loginBhs(true, false, 1, 3), null);
            assertEquals(0x3f, t.readSkippingPings(3000).opcode());
            // immediate data on a read command
            t.send(t.scsiCmd(0x801, true, false, true, 512, TestInitiator.cdb10(0x28, 0, 1), false), new byte[512]);
            t.cmdSN++;
            Rx rej = t.readSkippingPings(3000);
            assertEquals(0x3f, rej.opcode());
            assertEquals(0x04, rej.u8(2), "protocol error");
            assertNotNull(t.ping(null), "session unaffected");
        }
    }

    @Test
    void shouldRejectAndCloseOnOversizedDataSegment() throws Exception {
        try (TestInitiator t = session()) {
            int itt = 0x820;
            byte[] cmd = t.scsiCmd(itt, false, true, true, 20000, TestInitiator.cdb10(0x2a, 0, 39), false);
            t.send(cmd, new byte[20000]); // > our MaxRecvDataSegmentLength 8192
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x3f, r.opcode());
            assertEquals(0x04, r.u8(2));
            assertTrue(t.closedWithin(3000));
        }
    }

    @Test
    void shouldTerminateTheCommandOnDataSnSequenceError() throws Exception {
        try (TestInitiator t = session("InitialR2T=Yes", "ImmediateData=No", "MaxRecvDataSegmentLength=4096")) {
            int itt = 0x830;
            t.send(t.scsiCmd(itt, false, true, true, 1024, TestInitiator.cdb10(0x2a, 0, 2), false), null);
            t.cmdSN++;
            Rx r2t = t.readSkippingPings(3000);
            assertEquals(0x31, r2t.opcode());
            int ttt = r2t.u32(20);
            t.send(t.dataOut(itt, ttt, 0, 0, false), new byte[512]);
            t.send(t.dataOut(itt, ttt, 0, 512, true), new byte[512]); // DataSN 0 twice
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x21, r.opcode());
            assertEquals(itt, r.itt());
            assertEquals(2, r.u8(3), "CHECK CONDITION");
            assertEquals(0x0b, r.data[2 + 2] & 0x0f, "ABORTED COMMAND");
            assertEquals(0x4b, r.data[2 + 12] & 0xff, "DATA PHASE ERROR");
            // a late Data-Out of the terminated command is discarded silently
            t.send(t.dataOut(itt, ttt, 1, 512, true), new byte[512]);
            assertNotNull(t.ping(null), "session continues");
            assertEquals(0x20, t.ping(null).opcode());
        }
        try (TestInitiator t = session()) {
            assertNotNull(t.ping(null), "other sessions unaffected");
        }
    }

    @Test
    void shouldAnswerTaskManagement() throws Exception {
        try (TestInitiator t = session("InitialR2T=Yes", "ImmediateData=No")) {
            // a write waiting for R2T data is aborted by ABORT TASK
            int itt = 0x900;
            t.send(t.scsiCmd(itt, false, true, true, 4096, TestInitiator.cdb10(0x2a, 0, 8), false), null);
            t.cmdSN++;
            assertEquals(0x31, t.readSkippingPings(3000).opcode());
            byte[] tmf = TestInitiator.bhs(0x02 | 0x40, 0x80 | 1);
            put32(tmf, 16, 0x901);
            put32(tmf, 20, itt);
            put32(tmf, 24, t.cmdSN);
            put32(tmf, 32, t.cmdSN - 1);
            t.send(tmf, null);
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x22, r.opcode());
            assertEquals(0, r.u8(2), "function complete");
            // LUN RESET and TARGET WARM RESET go to the ScsiTarget
            for (int fn : new int[]{5, 6, 2}) {
                tmf = TestInitiator.bhs(0x02 | 0x40, 0x80 | fn);
                put32(tmf, 16, 0x910 + fn);
                put32(tmf, 20, -1);
                put32(tmf, 24, t.cmdSN);
                t.send(tmf, null);
                r = t.readSkippingPings(3000);
                assertEquals(0x22, r.opcode());
                assertEquals(0, r.u8(2), "function " + fn);
            }
            // TASK REASSIGN is not supported at ERL 0
            tmf = TestInitiator.bhs(0x02 | 0x40, 0x80 | 8);
            put32(tmf, 16, 0x920);
            t.send(tmf, null);
            assertEquals(4, t.readSkippingPings(3000).u8(2));
            assertNotNull(t.ping(null));
        }
    }

    @Test
    void shouldServeSendTargetsInDiscoveryAndNormalSessions() throws Exception {
        try (TestInitiator t = new TestInitiator(port)) {
            Rx r = t.login(true, 0, 3, "InitiatorName=" + t.initiatorName, "SessionType=Discovery", "AuthMethod=None");
            assertEquals(0, TestInitiator.statusOf(r));
            byte[] text = TestInitiator.bhs(0x04, 0x80);
            put32(text, 16, 0xa00);
            put32(text, 20, -1);
            put32(text, 24, t.cmdSN);
            t.send(text, TestInitiator.text("SendTargets=All"));
            t.cmdSN++;
            Rx rsp = t.readSkippingPings(3000);
            assertEquals(0x24, rsp.opcode());
            String s = new String(rsp.data, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(s.contains("TargetName=" + IQN + "\0TargetAddress=127.0.0.1:" + port + ",1"), s);
            assertTrue(s.contains("TargetName=" + IQN2), s);
            // SCSI command in a discovery session is rejected
            t.send(t.scsiCmd(0xa01, false, false, true, 0, new byte[16], false), null);
            t.cmdSN++;
            assertEquals(0x3f, t.readSkippingPings(3000).opcode());
        }
        try (TestInitiator t = session()) {
            byte[] text = TestInitiator.bhs(0x04, 0x80);
            put32(text, 16, 0xa10);
            put32(text, 20, -1);
            put32(text, 24, t.cmdSN);
            t.send(text, TestInitiator.text("SendTargets=All", "MaxBurstLength=4096"));
            t.cmdSN++;
            Rx rsp = t.readSkippingPings(3000);
            Map<String, String> k = rsp.keys();
            assertEquals(IQN, k.get("TargetName"), "normal session: only its own target");
            assertEquals("Reject", k.get("MaxBurstLength"));
        }
    }

    @Test
    void shouldPingIdleInitiatorsAndDropDeadOnes() throws Exception {
        try (TestInitiator t = session()) {
            Rx r = t.read(3000);
            assertNotNull(r, "target-initiated NOP-In after idle interval");
            assertEquals(0x20, r.opcode());
            assertEquals(-1, r.itt());
            assertNotEquals(-1, r.u32(20));
            t.send(t.nopOut(-1, r.u32(20), true), null);
            assertNotNull(t.ping(null));
            // now stop answering: the target drops the connection after the timeout
            assertTrue(t.closedWithin(6000));
        }
    }

    @Test
    void shouldLogoutAndReinstateSessions() throws Exception {
        TestInitiator a = session();
        TestInitiator b = session(); // same ISID + initiator + target: reinstates, closing a
        assertTrue(a.closedWithin(3000), "old session closed on reinstatement");
        a.close();
        byte[] lo = TestInitiator.bhs(0x06 | 0x40, 0x80);
        put32(lo, 16, 0xb00);
        put32(lo, 24, b.cmdSN);
        b.send(lo, null);
        Rx r = b.readSkippingPings(3000);
        assertEquals(0x26, r.opcode());
        assertEquals(0, r.u8(2));
        assertTrue(b.closedWithin(3000));
        b.close();
    }

    @Test
    void shouldProtectFramesWithHeaderAndDataDigests() throws Exception {
        try (TestInitiator t = session("HeaderDigest=CRC32C", "DataDigest=CRC32C", "MaxRecvDataSegmentLength=8192")) {
            assertTrue(t.headerDigest && t.dataDigest);
            byte[] data = new byte[4096];
            new Random(11).nextBytes(data);
            t.send(t.scsiCmd(0xc00, false, true, true, 4096, TestInitiator.cdb10(0x2a, 8, 8), false), data);
            t.cmdSN++;
            assertEquals(0, t.readSkippingPings(3000).u8(3));
            t.send(t.scsiCmd(0xc01, true, false, true, 4096, TestInitiator.cdb10(0x28, 8, 8), false), null);
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertArrayEquals(data, r.data);
            // a corrupted data digest: Reject (data digest error) and close, the task cannot be recovered
            t.dataDigest = false;
            byte[] cmd = t.scsiCmd(0xc02, false, true, true, 512, TestInitiator.cdb10(0x2a, 8, 1), false);
            t.dataDigest = true;
            byte[] payload = new byte[512];
            t.headerDigest = true;
            // send with a wrong digest by flipping the payload after computing: build manually
            ByteBuffer b = ByteBuffer.allocate(48 + 4 + 512 + 4);
            cmd[7] = 0;
            cmd[6] = 2; // 512
            b.put(cmd).putInt(Integer.reverseBytes(TestInitiator.crc(cmd, 0, 48))).put(payload).putInt(12345);
            t.sendRaw(b.array());
            Rx rej = t.readSkippingPings(3000);
            assertEquals(0x3f, rej.opcode());
            assertEquals(0x02, rej.u8(2));
            assertTrue(t.closedWithin(3000));
        }
    }

    /** Serial-number helper for assertions. */
    static final class BhsOrder {
        static boolean lessOrEqual(int a, int b) {
            return io.evasan.iscsi.pdu.BhsDescriptor.snLessOrEqual(a, b);
        }
    }

    @Test
    void shouldServeSeveralInitiatorsAndSessionsAtOnce() throws Exception {
        int n = 4;
        Thread[] threads = new Thread[n];
        Throwable[] errors = new Throwable[n];
        for (int i = 0; i < n; i++) {
            final int id = i;
            threads[i] = new Thread(() -> {
                try (TestInitiator t = new TestInitiator(port)) {
                    t.initiatorName = "iqn.2026-01.io.evasan:multi-" + (id % 2);
                    t.isid[5] = (byte) (0x40 + id);
                    assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "MaxRecvDataSegmentLength=8192")));
                    Random r = new Random(id);
                    for (int k = 0; k < 40; k++) {
                        byte[] data = new byte[2048];
                        r.nextBytes(data);
                        int lba = 8192 + id * 64 + (k % 16) * 4;
                        t.send(t.scsiCmd(t.itt++, false, true, true, data.length, TestInitiator.cdb10(0x2a, lba, 4), false), data);
                        t.cmdSN++;
                        assertEquals(0, t.readSkippingPings(3000).u8(3));
                        t.send(t.scsiCmd(t.itt++, true, false, true, data.length, TestInitiator.cdb10(0x28, lba, 4), false), null);
                        t.cmdSN++;
                        assertArrayEquals(data, t.readSkippingPings(3000).data, "session " + id + " op " + k);
                    }
                } catch (Throwable e) {
                    errors[id] = e;
                }
            });
            threads[i].start();
        }
        for (Thread th : threads) {
            th.join(30000);
        }
        for (Throwable e : errors) {
            assertNull(e, () -> String.valueOf(e));
        }
    }

    @Test
    void shouldContinueLongTextResponsesAcrossPdus() throws Exception {
        IscsiTargetConfig cfg = IscsiTargetConfig.create().port(0);
        for (int i = 0; i < 200; i++) {
            cfg.addTarget("iqn.2026-01.io.evasan:many-" + i, null, disk);
        }
        IscsiTargetServer many = new IscsiTargetServer(cfg);
        int p = many.start();
        try (TestInitiator t = new TestInitiator(p)) {
            Rx r = t.login(true, 0, 1, "InitiatorName=" + t.initiatorName, "SessionType=Discovery", "AuthMethod=None");
            assertEquals(0, TestInitiator.statusOf(r));
            r = t.login(true, 1, 3, "MaxRecvDataSegmentLength=512");
            assertEquals(0, TestInitiator.statusOf(r));
            byte[] text = TestInitiator.bhs(0x04, 0x80);
            put32(text, 16, 0xd00);
            put32(text, 20, -1);
            put32(text, 24, t.cmdSN);
            t.send(text, TestInitiator.text("SendTargets=All"));
            t.cmdSN++;
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            int parts = 0;
            while (true) {
                Rx rsp = t.readSkippingPings(3000);
                assertEquals(0x24, rsp.opcode());
                assertTrue(rsp.data.length <= 512, "within the initiator's MaxRecvDataSegmentLength");
                all.write(rsp.data);
                parts++;
                if ((rsp.flags() & 0x80) != 0) {
                    assertEquals(-1, rsp.u32(20), "final part carries the reserved TTT");
                    break;
                }
                assertEquals(0x40, rsp.flags() & 0x40, "C bit on partial responses");
                byte[] more = TestInitiator.bhs(0x04, 0x80);
                put32(more, 16, 0xd00);
                put32(more, 20, rsp.u32(20));
                put32(more, 24, t.cmdSN);
                t.send(more, null);
                t.cmdSN++;
            }
            assertTrue(parts > 10, "parts " + parts);
            String s = new String(all.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < 200; i++) {
                assertTrue(s.contains("TargetName=iqn.2026-01.io.evasan:many-" + i + "\0"), "target " + i);
            }
        } finally {
            many.stop();
        }
    }

    @Test
    void shouldPassExtendedCdbsFromTheAhsAndVendorCdbsUnchanged() throws Exception {
        try (TestInitiator t = session()) {
            // 32-byte variable-length CDB: 16 bytes in the BHS + 16 in an extended-CDB AHS
            byte[] cdb = new byte[16];
            cdb[0] = 0x7f;
            cdb[7] = 24; // additional CDB length
            byte[] h = t.scsiCmd(0xe00, false, false, true, 0, cdb, false);
            h[4] = 5; // TotalAHSLength: 20 bytes
            byte[] ahs = new byte[20];
            ahs[1] = 17; // AHSLength = 16 + 1
            ahs[2] = 1; // extended CDB
            for (int i = 0; i < 16; i++) {
                ahs[4 + i] = (byte) (0xa0 + i);
            }
            byte[] pdu = new byte[48 + 20];
            System.arraycopy(h, 0, pdu, 0, 48);
            System.arraycopy(ahs, 0, pdu, 48, 20);
            t.sendRaw(pdu);
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x21, r.opcode());
            assertEquals(32, disk.lastCdbLength);
            assertEquals((byte) 0xa0, disk.lastCdb[16]);
            assertEquals((byte) 0xaf, disk.lastCdb[31]);
            // a vendor 16-byte CDB (snapshot marker opcode C0h) reaches the target as sent
            byte[] v = new byte[16];
            v[0] = (byte) 0xc0;
            v[1] = 1;
            v[15] = 0;
            t.send(t.scsiCmd(0xe01, true, false, true, 16, v, false), null);
            t.cmdSN++;
            r = t.readSkippingPings(3000);
            assertEquals(16, disk.lastCdbLength);
            assertArrayEquals(v, disk.lastCdb);
        }
    }

    @Test
    void shouldAnswerTaskSetFullWhenTheConnectionBufferBudgetIsExhausted() throws Exception {
        IscsiTargetServer small = new IscsiTargetServer(IscsiTargetConfig.create().port(0).addTarget(IQN, null, disk)
                .maxCommandBytes(1 << 20).maxConnectionBufferBytes(2 << 20).nopInIntervalMillis(0));
        int p = small.start();
        try (TestInitiator t = new TestInitiator(p)) {
            assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "InitialR2T=Yes", "ImmediateData=No",
                    "MaxBurstLength=262144")));
            for (int i = 0; i < 2; i++) {
                t.send(t.scsiCmd(0xf00 + i, false, true, true, 1 << 20, TestInitiator.cdb10(0x2a, i * 2048, 2048), false), null);
                t.cmdSN++;
                assertEquals(0x31, t.readSkippingPings(3000).opcode(), "R2T for write " + i);
            }
            t.send(t.scsiCmd(0xf02, false, true, true, 1 << 20, TestInitiator.cdb10(0x2a, 8192, 2048), false), null);
            t.cmdSN++;
            Rx r = t.readSkippingPings(3000);
            assertEquals(0x21, r.opcode());
            assertEquals(0xf02, r.itt());
            assertEquals(0x28, r.u8(3), "TASK SET FULL");
            // a command beyond maxCommandBytes: CHECK CONDITION, INVALID FIELD IN CDB
            t.send(t.scsiCmd(0xf03, true, false, true, 2 << 20, TestInitiator.cdb10(0x28, 0, 4096), false), null);
            t.cmdSN++;
            r = t.readSkippingPings(3000);
            assertEquals(2, r.u8(3));
            assertEquals(0x24, r.data[2 + 12] & 0xff);
        } finally {
            small.stop();
        }
    }

    @Test
    void shouldRefuseDigestLessLoginWhenHeaderDigestIsRequired() throws Exception {
        IscsiTargetServer strict = new IscsiTargetServer(IscsiTargetConfig.create().port(0).addTarget(IQN, null, disk)
                .headerDigestRequired(true).nopInIntervalMillis(0));
        int p = strict.start();
        try {
            try (TestInitiator t = new TestInitiator(p)) {
                assertEquals(LoginStatus.INITIATOR_ERROR, TestInitiator.statusOf(t.loginNormal(IQN, "HeaderDigest=None")));
            }
            try (TestInitiator t = new TestInitiator(p)) {
                Rx r = t.loginNormal(IQN, "HeaderDigest=None,CRC32C");
                assertEquals(0, TestInitiator.statusOf(r));
                assertEquals("CRC32C", r.keys().get("HeaderDigest"));
                assertTrue(t.headerDigest);
                assertNotNull(t.ping(new byte[]{9}));
            }
        } finally {
            strict.stop();
        }
    }
}
