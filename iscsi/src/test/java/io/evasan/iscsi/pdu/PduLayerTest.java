package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PduLayerTest {

    @Test
    void shouldEncodeAndDecodeBhsFields() {
        Buffer b = Buffer.buffer(new byte[48]);
        BhsDescriptor.init(b, 0, BhsDescriptor.OP_SCSI_CMD | BhsDescriptor.IMMEDIATE_BIT, 0xc1);
        BhsDescriptor.dataSegmentLength(b, 0, 0x123456);
        b.setByte(BhsDescriptor.TOTAL_AHS_OFFSET, (byte) 3);
        b.setInt(BhsDescriptor.ITT_OFFSET, 0xdeadbeef);
        assertEquals(BhsDescriptor.OP_SCSI_CMD, BhsDescriptor.opcode(b, 0));
        assertTrue(BhsDescriptor.immediate(b, 0));
        assertEquals(0xc1, BhsDescriptor.flags(b, 0));
        assertEquals(0x123456, BhsDescriptor.dataSegmentLength(b, 0));
        assertEquals(12, BhsDescriptor.totalAhsBytes(b, 0));
        assertEquals(0xdeadbeef, BhsDescriptor.itt(b, 0));
        assertEquals(0x12, b.getByte(5));
        assertEquals(0x56, b.getByte(7));
        assertThrows(IllegalArgumentException.class, () -> BhsDescriptor.dataSegmentLength(b, 0, 1 << 24));
    }

    @ParameterizedTest
    @CsvSource({"0,0", "1,3", "2,2", "3,1", "4,0", "8191,1"})
    void shouldPadToFourBytes(int len, int pad) {
        assertEquals(pad, BhsDescriptor.padding(len));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "5", "255", "256", "1000", "16383"})
    void shouldRoundTripLun(int lun) {
        assertEquals(lun, BhsDescriptor.decodeLun(BhsDescriptor.encodeLun(lun)));
    }

    @Test
    void shouldCompareSerialNumbersAcrossWrap() {
        assertTrue(BhsDescriptor.snLessThan(0xfffffff0, 5));
        assertFalse(BhsDescriptor.snLessThan(5, 0xfffffff0));
        assertTrue(BhsDescriptor.snLessOrEqual(7, 7));
        assertEquals(-1, BhsDescriptor.compareSerial(0xffffffff, 0));
        assertEquals(1, BhsDescriptor.compareSerial(0, 0xffffffff));
    }

    /** RFC 3720 appendix B.4 CRC32C test vectors. */
    @ParameterizedTest
    @CsvSource({"zeros,0x8a9136aa", "ones,0x62a8ab43", "up,0x46dd794e", "down,0x113fdb5c"})
    void shouldMatchRfcCrc32cVectors(String kind, String expected) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = switch (kind) {
                case "zeros" -> 0;
                case "ones" -> (byte) 0xff;
                case "up" -> (byte) i;
                default -> (byte) (31 - i);
            };
        }
        int want = (int) Long.parseLong(expected.substring(2), 16);
        assertEquals(want, Digests.crc32c(b, 0, 32));
        assertEquals(want, Digests.crc32c(Buffer.buffer(b), 0, 32, 0));
        assertEquals(Digests.crc32c(new byte[35], 0, 35), Digests.crc32c(new byte[32], 0, 32, 3));
    }

    private static Buffer pdu(int opcode, int itt, int dataLen, boolean hd, boolean dd, Random rnd) {
        Buffer b = Buffer.buffer();
        byte[] h = new byte[48];
        h[0] = (byte) opcode;
        Buffer hb = Buffer.buffer(h);
        BhsDescriptor.dataSegmentLength(hb, 0, dataLen);
        hb.setInt(16, itt);
        b.appendBuffer(hb);
        if (hd) {
            b.appendIntLE(Digests.crc32c(hb, 0, 48, 0));
        }
        if (dataLen > 0) {
            byte[] d = new byte[dataLen + BhsDescriptor.padding(dataLen)];
            for (int i = 0; i < dataLen; i++) {
                d[i] = (byte) rnd.nextInt();
            }
            b.appendBytes(d);
            if (dd) {
                b.appendIntLE(Digests.crc32c(d, 0, d.length));
            }
        }
        return b;
    }

    private static class Collector implements PduParser.Handler {
        final List<int[]> pdus = new ArrayList<>();
        final List<String> errors = new ArrayList<>();

        @Override public void onPdu(Pdu p) { pdus.add(new int[]{p.opcode(), p.itt(), p.dataLength()}); }
        @Override public void onOversizedData(Pdu h, int len) { errors.add("oversized " + len); }
        @Override public void onDataDigestError(Pdu p) { errors.add("ddigest " + p.itt()); }
        @Override public void onFatal(String reason) { errors.add("fatal " + reason); }
        @Override public void onHandlerFailure(Throwable t) { errors.add("handler " + t); }
    }

    @ParameterizedTest
    @CsvSource({"1,false,false", "2,true,false", "3,true,true", "4,false,true"})
    void shouldFrameIdenticallyUnderAnyFragmentation(long seed, boolean hd, boolean dd) {
        Random rnd = new Random(seed);
        Buffer stream = Buffer.buffer();
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int len = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(9000);
            stream.appendBuffer(pdu(1, i, len, hd, dd, rnd));
            expected.add(new int[]{1, i, len});
        }
        Collector c = new Collector();
        PduParser p = new PduParser(c);
        p.headerDigest(hd);
        p.dataDigest(dd);
        p.maxDataSegmentLength(9000);
        int pos = 0;
        while (pos < stream.length()) {
            int n = Math.min(stream.length() - pos, 1 + rnd.nextInt(rnd.nextBoolean() ? 7 : 20000));
            p.feed(stream.slice(pos, pos + n));
            pos += n;
        }
        assertEquals(List.of(), c.errors, "seed " + seed);
        assertEquals(expected.size(), c.pdus.size(), "seed " + seed);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), c.pdus.get(i), "seed " + seed + " pdu " + i);
        }
    }

    @Test
    void shouldSkipOversizedDataAndStayInFrame() {
        Random rnd = new Random(9);
        Collector c = new Collector();
        PduParser p = new PduParser(c);
        p.maxDataSegmentLength(1024);
        Buffer s = Buffer.buffer().appendBuffer(pdu(1, 1, 5000, false, false, rnd)).appendBuffer(pdu(1, 2, 10, false, false, rnd));
        p.feed(s.slice(0, 100));
        p.feed(s.slice(100, s.length()));
        assertEquals(List.of("oversized 5000"), c.errors);
        assertEquals(1, c.pdus.size());
        assertEquals(2, c.pdus.get(0)[1]);
    }

    @Test
    void shouldReportDigestErrors() {
        Random rnd = new Random(3);
        Collector c = new Collector();
        PduParser p = new PduParser(c);
        p.dataDigest(true);
        Buffer good = pdu(1, 7, 100, false, true, rnd);
        good.setByte(60, (byte) (good.getByte(60) ^ 1));
        p.feed(good);
        assertEquals(List.of("ddigest 7"), c.errors);
        Collector c2 = new Collector();
        PduParser p2 = new PduParser(c2);
        p2.headerDigest(true);
        Buffer bad = pdu(1, 8, 0, true, false, rnd);
        bad.setByte(20, (byte) 1);
        p2.feed(bad);
        p2.feed(pdu(1, 9, 0, true, false, rnd));
        assertEquals(List.of("fatal header digest mismatch"), c2.errors);
        assertEquals(0, c2.pdus.size(), "nothing delivered after a fatal framing error");
    }

    @Test
    void shouldNeverThrowOnRandomBytes() {
        Random rnd = new Random(42);
        for (int round = 0; round < 2000; round++) {
            Collector c = new Collector();
            PduParser p = new PduParser(c);
            p.headerDigest(rnd.nextBoolean());
            p.dataDigest(rnd.nextBoolean());
            byte[] junk = new byte[rnd.nextInt(600)];
            rnd.nextBytes(junk);
            assertDoesNotThrow(() -> p.feed(Buffer.buffer(junk)), "round " + round);
        }
        PduParser p = new PduParser(new Collector() {
            @Override public void onPdu(Pdu pdu) { throw new IllegalStateException("boom"); }
        });
        assertDoesNotThrow(() -> p.feed(pdu(1, 1, 0, false, false, rnd)));
        assertTrue(p.isDead());
    }

    /**
     * Seeded model test of the receive path's buffer lifetimes. Each chunk is fed from one scratch
     * buffer that is overwritten with garbage as soon as {@code feed} returns (as Netty recycles its
     * read buffer), and the handler takes the data of some incomplete PDUs into its own buffer
     * ({@code dataTarget}). Every PDU must arrive with exactly its bytes, placed or not; a view the
     * parser calls stable must keep them after later feeds; a bad data digest of a placed PDU is
     * reported, not delivered.
     */
    @ParameterizedTest
    @CsvSource({"11,false,false", "12,true,true", "13,false,true", "14,true,false"})
    void shouldDeliverExactBytesWhenChunksAreRecycledAndDataIsPlaced(long seed, boolean hd, boolean dd) {
        System.out.println("shouldDeliverExactBytesWhenChunksAreRecycledAndDataIsPlaced seed=" + seed);
        Random rnd = new Random(seed);
        int n = 300;
        byte[][] expected = new byte[n][];
        boolean[] corrupt = new boolean[n];
        Buffer stream = Buffer.buffer();
        for (int i = 0; i < n; i++) {
            int len = rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(rnd.nextBoolean() ? 600 : 70000);
            Buffer one = pdu(1, i, len, hd, dd, rnd);
            expected[i] = one.getBytes(48 + (hd ? 4 : 0), 48 + (hd ? 4 : 0) + len);
            if (dd && len > 0 && rnd.nextInt(40) == 0) {
                corrupt[i] = true;
                int at = one.length() - 1;
                one.setByte(at, (byte) (one.getByte(at) ^ 0x5a));
            }
            stream.appendBuffer(one);
        }
        java.nio.ByteBuffer[] targets = new java.nio.ByteBuffer[n];
        List<String> errors = new ArrayList<>();
        List<Object[]> stable = new ArrayList<>();
        int[] delivered = {0};
        PduParser.Handler h = new PduParser.Handler() {
            @Override public java.nio.ByteBuffer dataTarget(Pdu p) {
                if (rnd.nextInt(3) == 0) {
                    return null;
                }
                int at = rnd.nextInt(100);
                java.nio.ByteBuffer t = rnd.nextBoolean() ? java.nio.ByteBuffer.allocateDirect(at + p.dataLength() + 7)
                        : java.nio.ByteBuffer.allocate(at + p.dataLength() + 7);
                t.position(at).limit(at + p.dataLength());
                targets[p.itt()] = t.duplicate();
                return t;
            }
            @Override public void onPdu(Pdu p) {
                int i = p.itt();
                if (corrupt[i]) {
                    errors.add("pdu " + i + " with a bad data digest was delivered");
                    return;
                }
                delivered[0]++;
                byte[] got;
                if (p.isPlaced()) {
                    java.nio.ByteBuffer t = targets[i].duplicate();
                    got = new byte[t.remaining()];
                    t.get(got);
                    if (!java.util.Arrays.equals(got, p.copyData()) || !java.util.Arrays.equals(got, p.copy().copyData())) {
                        errors.add("pdu " + i + " placed data and its copies differ");
                    }
                } else {
                    got = p.copyData();
                    if (p.isStable()) {
                        stable.add(new Object[]{p.buffer(), p.dataOffset(), i});
                    }
                }
                if (!java.util.Arrays.equals(expected[i], got)) {
                    errors.add("pdu " + i + " data differs (placed " + p.isPlaced() + ")");
                }
            }
            @Override public void onOversizedData(Pdu p, int len) { errors.add("oversized " + len); }
            @Override public void onDataDigestError(Pdu p) {
                if (!corrupt[p.itt()]) {
                    errors.add("ddigest " + p.itt());
                }
                delivered[0]++;
            }
            @Override public void onFatal(String reason) { errors.add("fatal " + reason); }
            @Override public void onHandlerFailure(Throwable t) { errors.add("handler " + t); }
        };
        PduParser p = new PduParser(h);
        p.headerDigest(hd);
        p.dataDigest(dd);
        p.maxDataSegmentLength(70000);
        Buffer scratch = Buffer.buffer(new byte[80000]);
        int pos = 0;
        while (pos < stream.length()) {
            int len = Math.min(stream.length() - pos, 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 70000));
            Buffer chunk = scratch.slice(0, len);
            chunk.setBuffer(0, stream, pos, len);
            p.feed(chunk);
            for (int k = 0; k < len; k++) {
                scratch.setByte(k, (byte) 0xee); // the read buffer is recycled after feed
            }
            pos += len;
        }
        assertEquals(List.of(), errors, "seed " + seed);
        assertEquals(n, delivered[0], "seed " + seed);
        for (Object[] s : stable) {
            int i = (Integer) s[2];
            assertArrayEquals(expected[i], ((Buffer) s[0]).getBytes((Integer) s[1], (Integer) s[1] + expected[i].length),
                    "seed " + seed + " stable pdu " + i + " changed after later feeds");
        }
    }
}
