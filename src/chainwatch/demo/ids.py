"""Vectorised identifiers for synthetic enterprises: USCC codes and invented names.

A demo USCC is built like a real one (GB 32100-2015): registration authority ``9`` (market
regulator), entity type ``1`` (enterprise), the 6-digit NBS code of the district, a 9-character
organisation code (8 digits plus its GB 11714 check character) and the USCC check character.
Codes are unique for up to 10^8 enterprises per seed and depend only on (index, seed).
"""

from __future__ import annotations

import numpy as np

from chainwatch.model.codes import USCC_CHARS, USCC_WEIGHTS

_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHAR_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
_ASCII = np.frombuffer(USCC_CHARS.encode("ascii"), dtype=np.uint8)
_MULT = 48_271 * 8_191  # odd and not a multiple of 5, so i -> (a*i + b) mod 10^8 is a bijection


def org_numbers(index: np.ndarray, seed: int) -> np.ndarray:
    """Distinct 8-digit organisation numbers for distinct indices (< 10^8)."""
    offset = (int(seed) * 2_654_435_761 + 12_345_679) % 100_000_000
    return (np.asarray(index, dtype=np.int64) * _MULT + offset) % 100_000_000


def make_usccs(index: np.ndarray, districts: np.ndarray, seed: int) -> np.ndarray:
    """Checksum-valid USCC strings for enterprise ``index`` located in ``districts`` (6-digit codes).

    Parameters
    ----------
    index : integer array, distinct per enterprise.
    districts : array of 6-digit district code strings, same length.
    seed : the generator seed (changes every code).

    Returns
    -------
    numpy array of 18-character strings (dtype object).
    """
    idx = np.asarray(index, dtype=np.int64)
    n = idx.size
    org = org_numbers(idx, seed)
    digits = np.empty((n, 8), dtype=np.int64)
    rest = org.copy()
    for k in range(7, -1, -1):
        digits[:, k] = rest % 10
        rest //= 10
    c9 = 11 - (digits @ _ORG_WEIGHTS) % 11
    org_check = np.where(c9 == 11, 0, np.where(c9 == 10, _CHAR_VALUE["X"], c9))
    dist = np.asarray(districts).astype("U6")
    dist_digits = np.frombuffer(dist.astype("S6").tobytes(), dtype=np.uint8).reshape(n, 6).astype(np.int64) - 48
    vals = np.empty((n, 18), dtype=np.int64)
    vals[:, 0] = 9
    vals[:, 1] = 1
    vals[:, 2:8] = dist_digits
    vals[:, 8:16] = digits
    vals[:, 16] = org_check
    total = vals[:, :17] @ np.array(USCC_WEIGHTS, dtype=np.int64)
    vals[:, 17] = (31 - total % 31) % 31
    chars = _ASCII[vals]
    return np.frombuffer(chars.tobytes(), dtype="S18").astype("U18").astype(object)


# syllables for invented trade names (字号); combined in pairs
_TRADE = list("瑞丰华宏达盛泰恒鑫源海天明博远诚信润隆祥凯精通宇升辉德兴安新联鼎晟贝奥力宝金银永嘉汇"
              "众百乐星光创佳合益康迪雅蓝科峰锦翔威豪伟志中杰")
_KIND_WORDS = {
    "25": "石化", "26": "化工", "28": "化纤", "29": "塑胶", "17": "纺织", "18": "服饰", "32": "金属材料",
    "33": "五金", "34": "机械", "35": "装备", "36": "汽车部件", "38": "电器", "39": "电子", "40": "仪器",
    "65": "软件", "30": "建材", "13": "食品", "14": "食品", "22": "纸业", "31": "钢铁", "27": "医药",
    "21": "家具", "24": "文体用品", "41": "制品", "44": "能源", "37": "船舶",
}
_TAILS = ["有限公司", "股份有限公司", "科技有限公司", "实业有限公司", "集团有限公司"]


def make_names(rng: np.random.Generator, divisions: np.ndarray, district_names: np.ndarray) -> np.ndarray:
    """Invented, unique Chinese enterprise names such as ``宁波瑞丰电子科技有限公司``."""
    n = len(divisions)
    a = rng.integers(0, len(_TRADE), n)
    b = rng.integers(0, len(_TRADE), n)
    tail = rng.choice(len(_TAILS), n, p=[0.55, 0.15, 0.18, 0.07, 0.05])
    names = np.empty(n, dtype=object)
    seen: set[str] = set()
    for i in range(n):
        word = _KIND_WORDS.get(str(divisions[i]), "工业")
        base = f"宁波{_TRADE[a[i]]}{_TRADE[b[i]]}{word}{_TAILS[tail[i]]}"
        name = base
        if name in seen:
            name = f"宁波{district_names[i][:2]}{_TRADE[a[i]]}{_TRADE[b[i]]}{word}{_TAILS[tail[i]]}"
        k = 2
        while name in seen:
            name = f"宁波{_TRADE[a[i]]}{_TRADE[b[i]]}{word}{_TRADE[(a[i] + k) % len(_TRADE)]}{_TAILS[tail[i]]}"
            k += 1
        seen.add(name)
        names[i] = name
    return names
