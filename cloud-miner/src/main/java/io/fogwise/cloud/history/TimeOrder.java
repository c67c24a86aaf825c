package io.fogwise.cloud.history;

/** A stable sort of indices by a primitive key column, without boxing a million readings. */
final class TimeOrder {
  private TimeOrder() {}

  /** The indices {@code 0..n-1} ordered by {@code keys} (ties in index order), or null if already in order. */
  static int[] sort(long[] keys, int n) {
    boolean sorted = true;
    for (int i = 1; i < n && sorted; i++) {
      sorted = keys[i - 1] <= keys[i];
    }
    if (sorted) {
      return null;
    }
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    int[] tmp = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int k = lo;
        while (i < mid && j < hi) {
          tmp[k++] = keys[a[j]] < keys[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          tmp[k++] = a[i++];
        }
        while (j < hi) {
          tmp[k++] = a[j++];
        }
      }
      int[] s = a;
      a = tmp;
      tmp = s;
    }
    return a;
  }
}
