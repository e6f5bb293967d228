package io.evasan.iscsi;

import io.evasan.iscsi.login.Chap;
import io.evasan.iscsi.login.TextKeys;
import io.evasan.iscsi.pdu.BhsDescriptor;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A minimal blocking iSCSI initiator for tests: raw PDUs over a socket, login helper, optional
 * digests. Independent of the target's own encoder (builds headers byte by byte).
 */
final class TestInitiator implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    boolean headerDigest;
    boolean dataDigest;
    int cmdSN = 1;
    int expStatSN;
    int maxCmdSN;
    int expCmdSN;
    int itt = 0x100;
    int tsih;
    final byte[] isid = {(byte) 0x80, 0x12, 0x34, 0x56, 0, 0};
    String initiatorName = "iqn.2026-01.io.evasan:test-initiator";

    /** A received PDU. */
    static final class Rx {
        final byte[] bhs;
        final byte[] data;

        Rx(byte[] bhs, byte[] data) {
            this.bhs = bhs;
            this.data = data;
        }

        int opcode() { return bhs[0] & 0x3f; }
        int flags() { return bhs[1] & 0xff; }
        int u8(int off) { return bhs[off] & 0xff; }
        int u32(int off) { return ByteBuffer.wrap(bhs, off, 4).getInt(); }
        int itt() { return u32(16); }
        Map<String, String> keys() {
            Map<String, String> m = new LinkedHashMap<>();
            for (TextKeys.Pair p : TextKeys.parse(data)) {
                m.put(p.key(), p.value());
            }
            return m;
        }
        @Override public String toString() {
            return "Rx(op=0x" + Integer.toHexString(opcode()) + " flags=0x" + Integer.toHexString(flags()) + " dl=" + data.length + ")";
        }
    }

    TestInitiator(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    static byte[] bhs(int opcode, int flags) {
        byte[] b = new byte[48];
        b[0] = (byte) opcode;
        b[1] = (byte) flags;
        return b;
    }

    static void put32(byte[] b, int off, int v) {
        ByteBuffer.wrap(b, off, 4).putInt(v);
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    void send(byte[] bhs, byte[] data) throws IOException {
        int dl = data == null ? 0 : data.length;
        bhs[5] = (byte) (dl >>> 16);
        bhs[6] = (byte) (dl >>> 8);
        bhs[7] = (byte) dl;
        int pad = (-dl) & 3;
        ByteBuffer b = ByteBuffer.allocate(48 + 4 + dl + pad + 4);
        b.put(bhs);
        if (headerDigest) {
            b.putInt(Integer.reverseBytes(crc(bhs, 0, 48)));
        }
        if (dl > 0) {
            b.put(data);
            b.put(new byte[pad]);
            if (dataDigest) {
                byte[] padded = new byte[dl + pad];
                System.arraycopy(data, 0, padded, 0, dl);
                b.putInt(Integer.reverseBytes(crc(padded, 0, padded.length)));
            }
        }
        if (dribble > 0) {
            // in small pieces with pauses, so that the target reads headers and data in fragments
            socket.setTcpNoDelay(true);
            for (int o = 0; o < b.position(); ) {
                int n = Math.min(b.position() - o, 1 + dribbleRnd.nextInt(dribble));
                out.write(b.array(), o, n);
                out.flush();
                o += n;
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            return;
        }
        out.write(b.array(), 0, b.position());
        out.flush();
    }

    /** When positive, {@link #send} writes each PDU in pieces of at most this many bytes, pausing between them. */
    int dribble;
    final java.util.Random dribbleRnd = new java.util.Random(7);

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads the next PDU; null on timeout. */
    Rx read(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] h = new byte[48];
        try {
            in.readFully(h);
        } catch (SocketTimeoutException e) {
            return null;
        }
        int ahs = (h[4] & 0xff) * 4;
        if (ahs > 0) {
            in.readFully(new byte[ahs]);
        }
        if (headerDigest) {
            int d = Integer.reverseBytes(in.readInt());
            if (d != crc(h, 0, 48)) {
                throw new IOException("bad header digest from target");
            }
        }
        int dl = ((h[5] & 0xff) << 16) | ((h[6] & 0xff) << 8) | (h[7] & 0xff);
        byte[] data = new byte[dl];
        in.readFully(data);
        int pad = (-dl) & 3;
        in.readFully(new byte[pad]);
        if (dataDigest && dl > 0) {
            int d = Integer.reverseBytes(in.readInt());
            byte[] padded = new byte[dl + pad];
            System.arraycopy(data, 0, padded, 0, dl);
            if (d != crc(padded, 0, padded.length)) {
                throw new IOException("bad data digest from target");
            }
        }
        Rx rx = new Rx(h, data);
        int op = rx.opcode();
        if (op != BhsDescriptor.OP_R2T && op != BhsDescriptor.OP_LOGIN_RSP
                && !(op == BhsDescriptor.OP_DATA_IN && (rx.flags() & 1) == 0)
                && !(op == BhsDescriptor.OP_NOP_IN && rx.itt() == -1)) {
            expStatSN = rx.u32(24) + 1;
        }
        if (op != BhsDescriptor.OP_LOGIN_RSP || true) {
            expCmdSN = rx.u32(28);
            maxCmdSN = rx.u32(32);
        }
        return rx;
    }

    Rx read() throws IOException {
        return read(5000);
    }

    /** True when the target closed the connection within the timeout. */
    boolean closedWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            while (true) {
                byte[] b = new byte[4096];
                int n = in.read(b);
                if (n < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static byte[] text(String... kv) {
        StringBuilder sb = new StringBuilder();
        for (String s : kv) {
            sb.append(s).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    byte[] loginBhs(boolean transit, boolean cont, int csg, int nsg) {
        byte[] b = bhs(0x43, (transit ? 0x80 : 0) | (cont ? 0x40 : 0) | (csg << 2) | nsg);
        b[2] = 0;
        b[3] = 0;
        System.arraycopy(isid, 0, b, 8, 6);
        b[14] = (byte) (tsih >>> 8);
        b[15] = (byte) tsih;
        put32(b, 16, 0x1234);
        put32(b, 24, cmdSN);
        put32(b, 28, expStatSN);
        return b;
    }

    Rx login(boolean transit, int csg, int nsg, String... kv) throws IOException {
        send(loginBhs(transit, false, csg, nsg), text(kv));
        return read();
    }

    /** Login without security, straight through operational negotiation to full feature. */
    Rx loginNormal(String target, String... opKeys) throws IOException {
        Rx r = login(true, 0, 1, "InitiatorName=" + initiatorName, "SessionType=Normal", "TargetName=" + target,
                "AuthMethod=None");
        if (r.opcode() != 0x23 || statusOf(r) != 0) {
            return r;
        }
        List<String> keys = new ArrayList<>(List.of(opKeys));
        r = login(true, 1, 3, keys.toArray(new String[0]));
        if (r.opcode() == 0x23 && statusOf(r) == 0 && (r.flags() & 0x80) != 0) {
            tsih = ((r.bhs[14] & 0xff) << 8) | (r.bhs[15] & 0xff);
            Map<String, String> k = r.keys();
            headerDigest = "CRC32C".equals(k.get("HeaderDigest"));
            dataDigest = "CRC32C".equals(k.get("DataDigest"));
        }
        return r;
    }

    /** CHAP login (one-way or mutual) in the security stage; returns the last login response. */
    Rx loginChap(String target, String user, String secret, String mutualSecret) throws IOException {
        Rx r = login(false, 0, 1, "InitiatorName=" + initiatorName, "SessionType=" + (target == null ? "Discovery" : "Normal"),
                target == null ? "X-io.evasan.probe=1" : "TargetName=" + target, "AuthMethod=CHAP,None");
        if (statusOf(r) != 0) {
            return r;
        }
        r = login(false, 0, 1, "CHAP_A=7,5");
        if (statusOf(r) != 0) {
            return r;
        }
        Map<String, String> k = r.keys();
        int id = Integer.parseInt(k.get("CHAP_I"));
        byte[] challenge = Chap.decodeBinary(k.get("CHAP_C"));
        byte[] resp = md5(id, secret, challenge);
        List<String> out = new ArrayList<>(List.of("CHAP_N=" + user, "CHAP_R=" + hex(resp)));
        byte[] myChallenge = new byte[16];
        int myId = 77;
        if (mutualSecret != null) {
            for (int i = 0; i < 16; i++) {
                myChallenge[i] = (byte) (i * 7 + 3);
            }
            out.add("CHAP_I=" + myId);
            out.add("CHAP_C=" + hex(myChallenge));
        }
        r = login(true, 0, 1, out.toArray(new String[0]));
        if (statusOf(r) != 0) {
            return r;
        }
        if (mutualSecret != null) {
            byte[] tr = Chap.decodeBinary(r.keys().get("CHAP_R"));
            if (!java.util.Arrays.equals(tr, md5(myId, mutualSecret, myChallenge))) {
                throw new IOException("target failed mutual CHAP");
            }
        }
        r = login(true, 1, 3, "HeaderDigest=None", "DataDigest=None");
        if (statusOf(r) == 0) {
            tsih = ((r.bhs[14] & 0xff) << 8) | (r.bhs[15] & 0xff);
        }
        return r;
    }

    static byte[] md5(int id, String secret, byte[] challenge) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
            md.update((byte) id);
            md.update(secret.getBytes(StandardCharsets.UTF_8));
            md.update(challenge);
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder("0x");
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }

    static int statusOf(Rx r) {
        if (r == null) {
            return -1;
        }
        return r.opcode() == 0x23 ? ((r.u8(36) << 8) | r.u8(37)) : -2;
    }

    /** Builds a SCSI Command BHS (not sent). */
    byte[] scsiCmd(int itt, boolean read, boolean write, boolean fin, int edtl, byte[] cdb, boolean immediate) {
        byte[] b = bhs(0x01 | (immediate ? 0x40 : 0), (fin ? 0x80 : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0) | 1);
        put32(b, 16, itt);
        put32(b, 20, edtl);
        put32(b, 24, cmdSN);
        put32(b, 28, expStatSN);
        System.arraycopy(cdb, 0, b, 32, Math.min(16, cdb.length));
        return b;
    }

    byte[] nopOut(int itt, int ttt, boolean immediate) {
        byte[] b = bhs(0x00 | (immediate ? 0x40 : 0), 0x80);
        put32(b, 16, itt);
        put32(b, 20, ttt);
        put32(b, 24, cmdSN);
        put32(b, 28, expStatSN);
        return b;
    }

    /** Sends a NOP-Out ping (non-immediate, consumes a CmdSN) and returns the NOP-In answer or null. */
    Rx ping(byte[] data) throws IOException {
        int t = itt++;
        send(nopOut(t, -1, false), data);
        cmdSN++;
        return readSkippingPings(3000);
    }

    /** Reads a PDU, answering target-initiated NOP-In pings on the way. */
    Rx readSkippingPings(int timeout) throws IOException {
        while (true) {
            Rx r = read(timeout);
            if (r != null && r.opcode() == 0x20 && r.itt() == -1) {
                send(nopOut(-1, r.u32(20), true), null);
                continue;
            }
            return r;
        }
    }

    static byte[] cdb10(int op, long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) op;
        ByteBuffer.wrap(c, 2, 4).putInt((int) lba);
        c[7] = (byte) (blocks >>> 8);
        c[8] = (byte) blocks;
        return c;
    }

    byte[] dataOut(int itt, int ttt, int dataSN, int offset, boolean fin) {
        byte[] b = bhs(0x05, fin ? 0x80 : 0);
        put32(b, 16, itt);
        put32(b, 20, ttt);
        put32(b, 28, expStatSN);
        put32(b, 36, dataSN);
        put32(b, 40, offset);
        return b;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // test cleanup
        }
    }
}
