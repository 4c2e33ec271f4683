"""Countries and territories (ISO 3166-1 alpha-3) with their Chinese and English display names.

This is the one reference list of partner names: every surface (trade tables, origin columns, group
member lists, bulletins, the demo's foreign suppliers) shows a country through
:func:`country_name`. The codes are all of ISO 3166-1 plus Kosovo's user-assigned ``XKX``. Chinese
names follow the short forms of Chinese customs statistics and the Ministry of Foreign Affairs (中国香港、
中国澳门、中国台湾 are customs partners, not countries; 韩国, 朝鲜, 刚果（布）/ 刚果（金）…); English names are
short common names. The list was checked by hand against those forms (it replaced machine translations
with errors such as "柬埔塞" and "吉尔吉斯坦").
"""

from __future__ import annotations

COUNTRIES: dict[str, tuple[str, str]] = {
    "ABW": ("阿鲁巴", "Aruba"), "AFG": ("阿富汗", "Afghanistan"), "AGO": ("安哥拉", "Angola"), "AIA": ("安圭拉", "Anguilla"),
    "ALA": ("奥兰群岛", "Åland Islands"), "ALB": ("阿尔巴尼亚", "Albania"), "AND": ("安道尔", "Andorra"),
    "ARE": ("阿联酋", "United Arab Emirates"), "ARG": ("阿根廷", "Argentina"), "ARM": ("亚美尼亚", "Armenia"),
    "ASM": ("美属萨摩亚", "American Samoa"), "ATA": ("南极洲", "Antarctica"),
    "ATF": ("法属南部领地", "French Southern Territories"), "ATG": ("安提瓜和巴布达", "Antigua and Barbuda"),
    "AUS": ("澳大利亚", "Australia"), "AUT": ("奥地利", "Austria"), "AZE": ("阿塞拜疆", "Azerbaijan"),
    "BDI": ("布隆迪", "Burundi"), "BEL": ("比利时", "Belgium"), "BEN": ("贝宁", "Benin"),
    "BES": ("荷兰加勒比区", "Caribbean Netherlands"), "BFA": ("布基纳法索", "Burkina Faso"), "BGD": ("孟加拉国", "Bangladesh"),
    "BGR": ("保加利亚", "Bulgaria"), "BHR": ("巴林", "Bahrain"), "BHS": ("巴哈马", "Bahamas"),
    "BIH": ("波斯尼亚和黑塞哥维那", "Bosnia and Herzegovina"), "BLM": ("圣巴泰勒米", "Saint Barthélemy"),
    "BLR": ("白俄罗斯", "Belarus"), "BLZ": ("伯利兹", "Belize"), "BMU": ("百慕大", "Bermuda"), "BOL": ("玻利维亚", "Bolivia"),
    "BRA": ("巴西", "Brazil"), "BRB": ("巴巴多斯", "Barbados"), "BRN": ("文莱", "Brunei"), "BTN": ("不丹", "Bhutan"),
    "BVT": ("布韦岛", "Bouvet Island"), "BWA": ("博茨瓦纳", "Botswana"), "CAF": ("中非共和国", "Central African Republic"),
    "CAN": ("加拿大", "Canada"), "CCK": ("科科斯（基林）群岛", "Cocos (Keeling) Islands"), "CHE": ("瑞士", "Switzerland"),
    "CHL": ("智利", "Chile"), "CHN": ("中国", "China"), "CIV": ("科特迪瓦", "Côte d'Ivoire"), "CMR": ("喀麦隆", "Cameroon"),
    "COD": ("刚果（金）", "DR Congo"), "COG": ("刚果（布）", "Congo"), "COK": ("库克群岛", "Cook Islands"),
    "COL": ("哥伦比亚", "Colombia"), "COM": ("科摩罗", "Comoros"), "CPV": ("佛得角", "Cabo Verde"),
    "CRI": ("哥斯达黎加", "Costa Rica"), "CUB": ("古巴", "Cuba"), "CUW": ("库拉索", "Curaçao"),
    "CXR": ("圣诞岛", "Christmas Island"), "CYM": ("开曼群岛", "Cayman Islands"), "CYP": ("塞浦路斯", "Cyprus"),
    "CZE": ("捷克", "Czechia"), "DEU": ("德国", "Germany"), "DJI": ("吉布提", "Djibouti"), "DMA": ("多米尼克", "Dominica"),
    "DNK": ("丹麦", "Denmark"), "DOM": ("多米尼加共和国", "Dominican Republic"), "DZA": ("阿尔及利亚", "Algeria"),
    "ECU": ("厄瓜多尔", "Ecuador"), "EGY": ("埃及", "Egypt"), "ERI": ("厄立特里亚", "Eritrea"),
    "ESH": ("西撒哈拉", "Western Sahara"), "ESP": ("西班牙", "Spain"), "EST": ("爱沙尼亚", "Estonia"),
    "ETH": ("埃塞俄比亚", "Ethiopia"), "FIN": ("芬兰", "Finland"), "FJI": ("斐济", "Fiji"),
    "FLK": ("马尔维纳斯群岛（福克兰）", "Falkland Islands"), "FRA": ("法国", "France"), "FRO": ("法罗群岛", "Faroe Islands"),
    "FSM": ("密克罗尼西亚联邦", "Micronesia"), "GAB": ("加蓬", "Gabon"), "GBR": ("英国", "United Kingdom"),
    "GEO": ("格鲁吉亚", "Georgia"), "GGY": ("根西岛", "Guernsey"), "GHA": ("加纳", "Ghana"), "GIB": ("直布罗陀", "Gibraltar"),
    "GIN": ("几内亚", "Guinea"), "GLP": ("瓜德罗普", "Guadeloupe"), "GMB": ("冈比亚", "Gambia"),
    "GNB": ("几内亚比绍", "Guinea-Bissau"), "GNQ": ("赤道几内亚", "Equatorial Guinea"), "GRC": ("希腊", "Greece"),
    "GRD": ("格林纳达", "Grenada"), "GRL": ("格陵兰", "Greenland"), "GTM": ("危地马拉", "Guatemala"),
    "GUF": ("法属圭亚那", "French Guiana"), "GUM": ("关岛", "Guam"), "GUY": ("圭亚那", "Guyana"),
    "HKG": ("中国香港", "Hong Kong, China"), "HMD": ("赫德岛和麦克唐纳群岛", "Heard Island and McDonald Islands"),
    "HND": ("洪都拉斯", "Honduras"), "HRV": ("克罗地亚", "Croatia"), "HTI": ("海地", "Haiti"), "HUN": ("匈牙利", "Hungary"),
    "IDN": ("印度尼西亚", "Indonesia"), "IMN": ("马恩岛", "Isle of Man"), "IND": ("印度", "India"),
    "IOT": ("英属印度洋领地", "British Indian Ocean Territory"), "IRL": ("爱尔兰", "Ireland"), "IRN": ("伊朗", "Iran"),
    "IRQ": ("伊拉克", "Iraq"), "ISL": ("冰岛", "Iceland"), "ISR": ("以色列", "Israel"), "ITA": ("意大利", "Italy"),
    "JAM": ("牙买加", "Jamaica"), "JEY": ("泽西岛", "Jersey"), "JOR": ("约旦", "Jordan"), "JPN": ("日本", "Japan"),
    "KAZ": ("哈萨克斯坦", "Kazakhstan"), "KEN": ("肯尼亚", "Kenya"), "KGZ": ("吉尔吉斯斯坦", "Kyrgyzstan"),
    "KHM": ("柬埔寨", "Cambodia"), "KIR": ("基里巴斯", "Kiribati"), "KNA": ("圣基茨和尼维斯", "Saint Kitts and Nevis"),
    "KOR": ("韩国", "Korea, Rep."), "KWT": ("科威特", "Kuwait"), "LAO": ("老挝", "Lao PDR"), "LBN": ("黎巴嫩", "Lebanon"),
    "LBR": ("利比里亚", "Liberia"), "LBY": ("利比亚", "Libya"), "LCA": ("圣卢西亚", "Saint Lucia"),
    "LIE": ("列支敦士登", "Liechtenstein"), "LKA": ("斯里兰卡", "Sri Lanka"), "LSO": ("莱索托", "Lesotho"),
    "LTU": ("立陶宛", "Lithuania"), "LUX": ("卢森堡", "Luxembourg"), "LVA": ("拉脱维亚", "Latvia"),
    "MAC": ("中国澳门", "Macao, China"), "MAF": ("法属圣马丁", "Saint Martin (French part)"), "MAR": ("摩洛哥", "Morocco"),
    "MCO": ("摩纳哥", "Monaco"), "MDA": ("摩尔多瓦", "Moldova"), "MDG": ("马达加斯加", "Madagascar"),
    "MDV": ("马尔代夫", "Maldives"), "MEX": ("墨西哥", "Mexico"), "MHL": ("马绍尔群岛", "Marshall Islands"),
    "MKD": ("北马其顿", "North Macedonia"), "MLI": ("马里", "Mali"), "MLT": ("马耳他", "Malta"), "MMR": ("缅甸", "Myanmar"),
    "MNE": ("黑山", "Montenegro"), "MNG": ("蒙古", "Mongolia"), "MNP": ("北马里亚纳群岛", "Northern Mariana Islands"),
    "MOZ": ("莫桑比克", "Mozambique"), "MRT": ("毛里塔尼亚", "Mauritania"), "MSR": ("蒙特塞拉特", "Montserrat"),
    "MTQ": ("马提尼克", "Martinique"), "MUS": ("毛里求斯", "Mauritius"), "MWI": ("马拉维", "Malawi"),
    "MYS": ("马来西亚", "Malaysia"), "MYT": ("马约特", "Mayotte"), "NAM": ("纳米比亚", "Namibia"),
    "NCL": ("新喀里多尼亚", "New Caledonia"), "NER": ("尼日尔", "Niger"), "NFK": ("诺福克岛", "Norfolk Island"),
    "NGA": ("尼日利亚", "Nigeria"), "NIC": ("尼加拉瓜", "Nicaragua"), "NIU": ("纽埃", "Niue"), "NLD": ("荷兰", "Netherlands"),
    "NOR": ("挪威", "Norway"), "NPL": ("尼泊尔", "Nepal"), "NRU": ("瑙鲁", "Nauru"), "NZL": ("新西兰", "New Zealand"),
    "OMN": ("阿曼", "Oman"), "PAK": ("巴基斯坦", "Pakistan"), "PAN": ("巴拿马", "Panama"), "PCN": ("皮特凯恩群岛", "Pitcairn"),
    "PER": ("秘鲁", "Peru"), "PHL": ("菲律宾", "Philippines"), "PLW": ("帕劳", "Palau"),
    "PNG": ("巴布亚新几内亚", "Papua New Guinea"), "POL": ("波兰", "Poland"), "PRI": ("波多黎各", "Puerto Rico"),
    "PRK": ("朝鲜", "Korea, DPR"), "PRT": ("葡萄牙", "Portugal"), "PRY": ("巴拉圭", "Paraguay"),
    "PSE": ("巴勒斯坦", "Palestine"), "PYF": ("法属波利尼西亚", "French Polynesia"), "QAT": ("卡塔尔", "Qatar"),
    "REU": ("留尼汪", "Réunion"), "ROU": ("罗马尼亚", "Romania"), "RUS": ("俄罗斯", "Russia"), "RWA": ("卢旺达", "Rwanda"),
    "SAU": ("沙特阿拉伯", "Saudi Arabia"), "SDN": ("苏丹", "Sudan"), "SEN": ("塞内加尔", "Senegal"),
    "SGP": ("新加坡", "Singapore"), "SGS": ("南乔治亚岛和南桑威奇群岛", "South Georgia and the South Sandwich Islands"),
    "SHN": ("圣赫勒拿", "Saint Helena"), "SJM": ("斯瓦尔巴群岛和扬马延岛", "Svalbard and Jan Mayen"),
    "SLB": ("所罗门群岛", "Solomon Islands"), "SLE": ("塞拉利昂", "Sierra Leone"), "SLV": ("萨尔瓦多", "El Salvador"),
    "SMR": ("圣马力诺", "San Marino"), "SOM": ("索马里", "Somalia"), "SPM": ("圣皮埃尔和密克隆", "Saint Pierre and Miquelon"),
    "SRB": ("塞尔维亚", "Serbia"), "SSD": ("南苏丹", "South Sudan"), "STP": ("圣多美和普林西比", "Sao Tome and Principe"),
    "SUR": ("苏里南", "Suriname"), "SVK": ("斯洛伐克", "Slovakia"), "SVN": ("斯洛文尼亚", "Slovenia"), "SWE": ("瑞典", "Sweden"),
    "SWZ": ("斯威士兰", "Eswatini"), "SXM": ("荷属圣马丁", "Sint Maarten (Dutch part)"), "SYC": ("塞舌尔", "Seychelles"),
    "SYR": ("叙利亚", "Syria"), "TCA": ("特克斯和凯科斯群岛", "Turks and Caicos Islands"), "TCD": ("乍得", "Chad"),
    "TGO": ("多哥", "Togo"), "THA": ("泰国", "Thailand"), "TJK": ("塔吉克斯坦", "Tajikistan"), "TKL": ("托克劳", "Tokelau"),
    "TKM": ("土库曼斯坦", "Turkmenistan"), "TLS": ("东帝汶", "Timor-Leste"), "TON": ("汤加", "Tonga"),
    "TTO": ("特里尼达和多巴哥", "Trinidad and Tobago"), "TUN": ("突尼斯", "Tunisia"), "TUR": ("土耳其", "Türkiye"),
    "TUV": ("图瓦卢", "Tuvalu"), "TWN": ("中国台湾", "Chinese Taipei"), "TZA": ("坦桑尼亚", "Tanzania"),
    "UGA": ("乌干达", "Uganda"), "UKR": ("乌克兰", "Ukraine"),
    "UMI": ("美国本土外小岛屿", "United States Minor Outlying Islands"), "URY": ("乌拉圭", "Uruguay"),
    "USA": ("美国", "United States"), "UZB": ("乌兹别克斯坦", "Uzbekistan"), "VAT": ("梵蒂冈", "Holy See"),
    "VCT": ("圣文森特和格林纳丁斯", "Saint Vincent and the Grenadines"), "VEN": ("委内瑞拉", "Venezuela"),
    "VGB": ("英属维尔京群岛", "British Virgin Islands"), "VIR": ("美属维尔京群岛", "US Virgin Islands"),
    "VNM": ("越南", "Viet Nam"), "VUT": ("瓦努阿图", "Vanuatu"), "WLF": ("瓦利斯和富图纳", "Wallis and Futuna"),
    "WSM": ("萨摩亚", "Samoa"), "XKX": ("科索沃", "Kosovo"), "YEM": ("也门", "Yemen"), "ZAF": ("南非", "South Africa"),
    "ZMB": ("赞比亚", "Zambia"), "ZWE": ("津巴布韦", "Zimbabwe"),
}


def country_name(iso3: str, lang: str = "zh") -> str:
    """Display name of an ISO3 code in ``lang`` (zh or en); the code itself when unknown.

    Examples
    --------
    >>> country_name("KHM"), country_name("KOR", "en"), country_name("ZZZ")
    ('柬埔寨', 'Korea, Rep.', 'ZZZ')
    """
    code = str(iso3).upper()
    names = COUNTRIES.get(code)
    if names is None:
        return code
    return names[0] if lang == "zh" else names[1]
