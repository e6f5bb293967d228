package io.evasan.raid;

import java.nio.file.Path;

/**
 * A drive to create or adopt: a file (relative paths resolve under the pool directory) or a
 * block device. {@code sizeBytes > 0} creates/extends a sparse file of that size;
 * {@code 0} uses the existing file or device as it is.
 */
public record DriveSpec(Path path, long sizeBytes) {
    public DriveSpec {
        if (path == null || sizeBytes < 0) {
            throw new IllegalArgumentException("drive spec needs a path and a size >= 0");
        }
    }

    public static DriveSpec file(String path, long sizeBytes) {
        return new DriveSpec(Path.of(path), sizeBytes);
    }
}
