package io.evasan.deploy;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the appliance's data directory private to its owner: it holds the drives' data, the MLD (with the hosts'
 * plaintext CHAP secrets), the map and cache logs and the journals.
 *
 * <p>Invariants: the data directory is mode 0700 from the moment it exists (created with that mode before anything
 * is written into it), so no other user reaches anything below it whatever the file modes; after {@link #open},
 * every directory below it is 0700 and every regular file 0600 (files and directories left by earlier runs or
 * versions included); while open, entries created later get the same modes at once (an inotify watch), so a
 * process umask that lets group/other bits through ({@code java -jar} run directly; {@code appliance.sh} sets
 * {@code umask 077}) is corrected for everything the appliance creates. Symbolic links are neither followed nor
 * changed.
 */
public final class PrivateDataDirectory implements AutoCloseable {
    static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private final Path root;
    private final WatchService watcher;
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private final Thread thread;
    private final int tightenedAtOpen;

    private PrivateDataDirectory(Path root) throws IOException {
        this.root = root;
        createPrivate(root);
        this.watcher = root.getFileSystem().newWatchService();
        try {
            registerAll(root);
            this.tightenedAtOpen = tightenTree(root);
        } catch (IOException | RuntimeException e) {
            watcher.close();
            throw e;
        }
        this.thread = new Thread(this::watch, "evasan-datadir-modes");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Creates {@code dir} (0700) if missing, tightens everything below it and watches it until {@link #close}.
     *
     * @throws IOException when the directory cannot be created or its modes cannot be set
     * @throws UnsupportedOperationException on a file system without POSIX modes
     */
    public static PrivateDataDirectory open(Path dir) throws IOException {
        return new PrivateDataDirectory(dir.toAbsolutePath().normalize());
    }

    /** How many entries had broader modes than 0700/0600 when opened (0 on a directory already private). */
    public int tightenedAtOpen() {
        return tightenedAtOpen;
    }

    /** Tightens the whole tree now (e.g. after a start created the pool); returns how many entries changed. */
    public int tightenNow() throws IOException {
        return tightenTree(root);
    }

    /** The process umask from /proc/self/status, or -1 when it cannot be read (not Linux, or a kernel before 4.7). */
    public static int processUmask() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Umask:")) {
                    return Integer.parseInt(l.substring(6).trim(), 8);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return -1;
    }

    private static void createPrivate(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
            }
        }
        Files.setPosixFilePermissions(dir, DIR);
    }

    private static int tightenTree(Path top) throws IOException {
        int[] changed = {0};
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                changed[0] += tighten(d) ? 1 : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                changed[0] += tighten(f) ? 1 : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE;   // vanished meanwhile (a temporary file): nothing to protect
            }
        });
        return changed[0];
    }

    /** Sets 0700 on a directory, 0600 on a regular file; true when the mode changed. Links and vanished entries: false. */
    private static boolean tighten(Path p) throws IOException {
        try {
            if (Files.isSymbolicLink(p)) {
                return false;
            }
            boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (!dir && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            Set<PosixFilePermission> want = dir ? DIR : FILE;
            if (Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(want)) {
                return false;
            }
            Files.setPosixFilePermissions(p, want);
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    private void registerAll(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                keys.put(d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE), d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void watch() {
        while (true) {
            WatchKey key;
            try {
                key = watcher.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Path dir;
            synchronized (keys) {
                dir = keys.get(key);
            }
            for (WatchEvent<?> ev : key.pollEvents()) {
                try {
                    if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                        tightenTree(root);   // events were lost: check everything
                        continue;
                    }
                    if (dir == null) {
                        continue;
                    }
                    Path child = dir.resolve((Path) ev.context());
                    if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                        synchronized (keys) {
                            registerAll(child);   // before tightening its contents: nothing created meanwhile is missed
                        }
                        tightenTree(child);
                    } else {
                        tighten(child);
                    }
                } catch (ClosedWatchServiceException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    System.err.println("evasan: cannot restrict the mode of a new entry under " + dir + ": " + e);
                }
            }
            if (!key.reset()) {
                synchronized (keys) {
                    keys.remove(key);
                }
            }
        }
    }

    /** Stops watching (idempotent); the modes already set stay. */
    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            System.err.println("evasan: closing the data directory watch: " + e);
        }
        thread.interrupt();
    }

    /** The data directory. */
    public Path root() {
        return root;
    }
}
