package io.evasan.raid.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {
    @TempDir
    Path dir;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldReplaceTheContentWholeAndLeaveNoTempFile() throws IOException {
        Path f = dir.resolve("list");
        AtomicFiles.replace(f, b("first version, rather long\n"));
        AtomicFiles.replace(f, b("second\n"));
        assertArrayEquals(b("second\n"), Files.readAllBytes(f));
        assertFalse(Files.exists(AtomicFiles.tempOf(f)));
        assertEquals(dir.resolve("list.tmp"), AtomicFiles.tempOf(f));
    }

    @Test
    void shouldFsyncTheTempFileThenRenameThenFsyncTheDirectory() throws IOException {
        Path f = dir.resolve("luns.tbl");
        Files.write(f, b("old"));
        List<String> events = new ArrayList<>();
        ChannelOpener spy = (path, options) -> {
            FileChannel real = FileChannel.open(path, options);
            return new Forwarding(real) {
                @Override
                public void force(boolean metaData) throws IOException {
                    String what = path.equals(dir) ? "dir" : path.getFileName().toString();
                    // what a crash right now would leave behind
                    events.add("force " + what + " file=" + new String(Files.readAllBytes(f), StandardCharsets.UTF_8)
                            + " tmp=" + Files.exists(AtomicFiles.tempOf(f)));
                    super.force(metaData);
                }
            };
        };
        AtomicFiles.replace(spy, f, b("new"));
        assertEquals(List.of(
                "force luns.tbl.tmp file=old tmp=true",     // data durable before the rename
                "force dir file=new tmp=false"),            // the rename made durable after it
                events);
        assertArrayEquals(b("new"), Files.readAllBytes(f));
    }

    @Test
    void shouldKeepTheOldFileAndRemoveTheTempFileWhenTheWriteFails() throws IOException {
        Path f = dir.resolve("list");
        Files.write(f, b("old"));
        ChannelOpener failing = (path, options) -> new Forwarding(FileChannel.open(path, options)) {
            @Override
            public void force(boolean metaData) throws IOException {
                throw new IOException("simulated fsync failure");
            }
        };
        IOException x = assertThrows(IOException.class, () -> AtomicFiles.replace(failing, f, b("new")));
        assertEquals("simulated fsync failure", x.getMessage());
        assertArrayEquals(b("old"), Files.readAllBytes(f));
        assertFalse(Files.exists(AtomicFiles.tempOf(f)));
    }

    /** A FileChannel forwarding to another (the spy's base). */
    static class Forwarding extends FileChannel {
        final FileChannel d;

        Forwarding(FileChannel d) {
            this.d = d;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException { return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { return d.write(srcs, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { d.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return d.write(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
