package io.evasan.sanhost.nbd;

import io.evasan.sanhost.nbd.NbdDescriptor.GoRequest;
import io.evasan.sanhost.nbd.NbdDescriptor.OptionHeader;
import io.evasan.sanhost.nbd.NbdDescriptor.Request;
import io.evasan.sanhost.nbd.NbdDescriptor.SimpleReply;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.evasan.sanhost.nbd.NbdDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/** The NBD server alone, over a byte-array device: the handshake, every command, malformed requests. */
class NbdServerTest {
    static final int SIZE = 1 << 20;

    /** A minimal NBD client speaking the fixed newstyle handshake and simple replies. */
    static final class Client implements AutoCloseable {
        final Socket s;
        final DataInputStream in;
        final DataOutputStream out;

        Client(int port) throws IOException {
            s = new Socket(InetAddress.getLoopbackAddress(), port);
            s.setSoTimeout(10_000);
            in = new DataInputStream(s.getInputStream());
            out = new DataOutputStream(s.getOutputStream());
            byte[] g = new byte[GREETING_LENGTH];
            in.readFully(g);
            assertArrayEquals(greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES), g);
            out.writeInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
        }

        void option(int option, byte[] data) throws IOException {
            out.write(new OptionHeader(IHAVEOPT, option, data.length).encode());
            out.write(data);
            out.flush();
        }

        /** Reads one option reply: {type, data}. */
        Object[] optionReply(int option) throws IOException {
            assertEquals(REPLY_MAGIC, in.readLong());
            assertEquals(option, in.readInt());
            int type = in.readInt();
            byte[] d = new byte[in.readInt()];
            in.readFully(d);
            return new Object[] {type, d};
        }

        /** NBD_OPT_GO; returns the export size. */
        long go(String name) throws IOException {
            option(OPT_GO, new GoRequest(name, new int[] {INFO_BLOCK_SIZE}).encode());
            long size = -1;
            while (true) {
                Object[] r = optionReply(OPT_GO);
                int type = (int) r[0];
                if (type == REP_ACK) {
                    return size;
                }
                assertEquals(REP_INFO, type, "reply type");
                ByteBuffer b = ByteBuffer.wrap((byte[]) r[1]);
                if (b.getShort() == INFO_EXPORT) {
                    size = b.getLong();
                    assertEquals(0x2D, b.getShort() & 0xFFFF, "HAS_FLAGS SEND_FLUSH SEND_FUA SEND_TRIM");
                }
            }
        }

        void request(int type, int flags, long handle, long offset, long length, byte[] data) throws IOException {
            out.write(new Request(REQUEST_MAGIC, flags, type, handle, offset, length).encode());
            if (data != null) {
                out.write(data);
            }
            out.flush();
        }

        SimpleReply reply() throws IOException {
            byte[] r = new byte[REPLY_LENGTH];
            in.readFully(r);
            SimpleReply sr = SimpleReply.decode(r);
            assertEquals(SIMPLE_REPLY_MAGIC, sr.magic());
            return sr;
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }

    static NbdServer.Exports one(BlockDevice d) {
        return new NbdServer.Exports() {
            @Override
            public BlockDevice find(String name) {
                return name.isEmpty() || name.equals("lun0") ? d : null;
            }

            @Override
            public List<String> names() {
                return List.of("lun0");
            }
        };
    }

    @Test
    void shouldNegotiateWithGoAndServeReadWriteFlushTrimAndDisc() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE);
        try (NbdServer server = new NbdServer(one(dev), 0); Client c = new Client(server.port())) {
            c.option(OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(REP_ERR_UNSUP, c.optionReply(OPT_STRUCTURED_REPLY)[0], "no structured replies");
            c.option(OPT_LIST, new byte[0]);
            Object[] server1 = c.optionReply(OPT_LIST);
            assertEquals(REP_SERVER, server1[0]);
            assertArrayEquals(serverData("lun0"), (byte[]) server1[1]);
            assertEquals(REP_ACK, c.optionReply(OPT_LIST)[0]);
            c.option(OPT_GO, new GoRequest("nope", new int[0]).encode());
            assertEquals(REP_ERR_UNKNOWN, c.optionReply(OPT_GO)[0], "an unknown export");
            assertEquals(SIZE, c.go("lun0"));

            byte[] data = new byte[8192];
            new Random(1).nextBytes(data);
            c.request(CMD_WRITE, CMD_FLAG_FUA, 1, 4096, data.length, data);
            assertEquals(new SimpleReply(SIMPLE_REPLY_MAGIC, 0, 1), c.reply());
            c.request(CMD_READ, 0, 2, 4096, data.length, null);
            assertEquals(0, c.reply().error());
            byte[] back = new byte[data.length];
            c.in.readFully(back);
            assertArrayEquals(data, back);
            c.request(CMD_FLUSH, 0, 3, 0, 0, null);
            assertEquals(0, c.reply().error());
            assertEquals(1, dev.flushes);
            c.request(CMD_TRIM, 0, 4, 4096, 4096, null);
            assertEquals(0, c.reply().error());
            assertArrayEquals(new byte[4096], Arrays.copyOfRange(dev.bytes, 4096, 8192));
            assertArrayEquals(Arrays.copyOfRange(data, 4096, 8192), Arrays.copyOfRange(dev.bytes, 8192, 12288));
            c.request(CMD_DISC, 0, 5, 0, 0, null);
            assertEquals(-1, c.in.read(), "DISC closes the connection");
        }
    }

    @Test
    void shouldAnswerMalformedRequestsWithErrorsAndGoOn() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE);
        try (NbdServer server = new NbdServer(one(dev), 0); Client c = new Client(server.port())) {
            c.go("");
            c.request(99, 0, 10, 0, 512, null);
            assertEquals(new SimpleReply(SIMPLE_REPLY_MAGIC, EINVAL, 10), c.reply(), "unknown command");
            c.request(CMD_READ, 0, 11, 100, 512, null);
            assertEquals(EINVAL, c.reply().error(), "unaligned offset");
            c.request(CMD_READ, 0, 12, SIZE - 512, 1024, null);
            assertEquals(EINVAL, c.reply().error(), "read past the end");
            c.request(CMD_WRITE, 0, 13, SIZE, 512, new byte[512]);
            assertEquals(ENOSPC, c.reply().error(), "write past the end");
            c.request(CMD_READ, 0x80, 14, 0, 512, null);
            assertEquals(EINVAL, c.reply().error(), "an unknown command flag");
            c.request(CMD_FLUSH, 0, 15, 512, 0, null);
            assertEquals(EINVAL, c.reply().error(), "FLUSH with an offset");
            c.request(CMD_READ, 0, 16, 0, 64 << 20, null);
            assertEquals(EOVERFLOW, c.reply().error(), "more than the maximum block size");
            c.request(CMD_READ, 0, 17, 0, 512, null);
            assertEquals(0, c.reply().error(), "the connection still serves");
            c.in.readFully(new byte[512]);
            assertEquals(7, server.malformed());
        }
    }

    @Test
    void shouldAnswerABadMagicWithAnErrorAndCloseOnlyThatConnection() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE);
        try (NbdServer server = new NbdServer(one(dev), 0)) {
            try (Client c = new Client(server.port())) {
                c.go("lun0");
                c.out.write(new Request(0x12345678, 0, CMD_READ, 42, 0, 512).encode());
                c.out.flush();
                assertEquals(new SimpleReply(SIMPLE_REPLY_MAGIC, EINVAL, 42), c.reply());
                assertEquals(-1, c.in.read(), "closed after a bad magic");
            }
            try (Client c = new Client(server.port())) {
                c.option(OPT_GO, new byte[] {0, 0, 0, 9, 0});
                assertEquals(REP_ERR_INVALID, c.optionReply(OPT_GO)[0], "GO data that does not add up");
                c.option(77, "x".getBytes(StandardCharsets.UTF_8));
                assertEquals(REP_ERR_UNSUP, c.optionReply(77)[0], "an unknown option");
                c.option(OPT_EXPORT_NAME, "lun0".getBytes(StandardCharsets.UTF_8));
                assertEquals(SIZE, c.in.readLong(), "EXPORT_NAME: size, flags, no zeroes (NO_ZEROES agreed)");
                assertEquals(0x2D, c.in.readShort());
                c.request(CMD_READ, 0, 1, 0, 512, null);
                assertEquals(0, c.reply().error());
            }
            try (Client c = new Client(server.port())) {
                c.out.write(new OptionHeader(0x1122334455667788L, OPT_GO, 0).encode());
                c.out.flush();
                assertEquals(-1, c.in.read(), "an option with a bad magic closes the connection");
            }
        }
    }

    @Test
    void shouldServeQemuIo() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/qemu-io").canExecute(), "qemu-io not installed");
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE);
        try (NbdServer server = new NbdServer(one(dev), 0)) {
            Process p = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "write -P 0x5a 4096 64k", "-c", "read -P 0x5a 4096 64k",
                    "-c", "discard 4096 4096", "-c", "read -P 0 4096 4096", "-c", "flush",
                    "nbd://127.0.0.1:" + server.port() + "/lun0").redirectErrorStream(true).start();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertFalse(out.contains("Pattern verification failed") || out.contains("failed"), out);
            assertTrue(out.contains("wrote 65536/65536 bytes at offset 4096"), out);
            assertEquals(0x5a, dev.bytes[4096 + 4096]);
            assertEquals(0, dev.bytes[4096]);
        }
    }
}
