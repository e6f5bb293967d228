package io.evasan.nsc.cache.impl;

import java.util.Arrays;

/**
 * int -> int map with open addressing (linear probing), no boxing; grows by doubling at half full.
 * Invariant: {@link #get} returns the last value put for a key, or {@code missing}. Not thread-safe.
 */
final class IntIntHashMap {
    private int[] keys;
    private int[] values;
    private boolean[] used;
    private int size;
    private final int missing;

    IntIntHashMap(int missing) {
        this.missing = missing;
        keys = new int[16];
        values = new int[16];
        used = new boolean[16];
    }

    private static int pos(int key, int[] keys, boolean[] used) {
        int mask = keys.length - 1;
        int i = (key * 0x9E3779B9) >>> 16 & mask;
        while (used[i] && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    int get(int key) {
        int i = pos(key, keys, used);
        return used[i] ? values[i] : missing;
    }

    void put(int key, int value) {
        int i = pos(key, keys, used);
        if (!used[i]) {
            if ((size + 1) * 2 > keys.length) {
                grow();
                i = pos(key, keys, used);
            }
            used[i] = true;
            keys[i] = key;
            size++;
        }
        values[i] = value;
    }

    private void grow() {
        int[] k = keys;
        int[] v = values;
        boolean[] u = used;
        keys = new int[k.length * 2];
        values = new int[k.length * 2];
        used = new boolean[k.length * 2];
        for (int i = 0; i < k.length; i++) {
            if (u[i]) {
                int p = pos(k[i], keys, used);
                used[p] = true;
                keys[p] = k[i];
                values[p] = v[i];
            }
        }
    }

    int size() {
        return size;
    }

    @Override
    public String toString() {
        return "IntIntHashMap[size=" + size + ", capacity=" + keys.length + ", keys=" + Arrays.toString(keys) + "]";
    }
}
