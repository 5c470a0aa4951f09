import type { RegionLevel } from '../regions/regions.ts';

export interface DemoRegion {
  code: string;
  parent: string | null;
  level: RegionLevel;
  zh: string;
  en: string;
  rural?: boolean;
}

/** Hunan with Xiangxi and Shaoyang (real codes); townships and villages under 凤凰县, 隆回县 and 吉首市. */
export const demoRegions: readonly DemoRegion[] = [
  { code: '430000', parent: null, level: 'province', zh: '湖南省', en: 'Hunan' },
  { code: '433100', parent: '430000', level: 'city', zh: '湘西土家族苗族自治州', en: 'Xiangxi Prefecture' },
  { code: '433101', parent: '433100', level: 'county', zh: '吉首市', en: 'Jishou' },
  { code: '433122', parent: '433100', level: 'county', zh: '泸溪县', en: 'Luxi County' },
  { code: '433123', parent: '433100', level: 'county', zh: '凤凰县', en: 'Fenghuang County' },
  { code: '433124', parent: '433100', level: 'county', zh: '花垣县', en: 'Huayuan County' },
  { code: '433125', parent: '433100', level: 'county', zh: '保靖县', en: 'Baojing County' },
  { code: '433126', parent: '433100', level: 'county', zh: '古丈县', en: 'Guzhang County' },
  { code: '433127', parent: '433100', level: 'county', zh: '永顺县', en: 'Yongshun County' },
  { code: '433130', parent: '433100', level: 'county', zh: '龙山县', en: 'Longshan County' },
  { code: '430500', parent: '430000', level: 'city', zh: '邵阳市', en: 'Shaoyang' },
  { code: '430502', parent: '430500', level: 'county', zh: '双清区', en: 'Shuangqing District' },
  { code: '430503', parent: '430500', level: 'county', zh: '大祥区', en: 'Daxiang District' },
  { code: '430511', parent: '430500', level: 'county', zh: '北塔区', en: 'Beita District' },
  { code: '430522', parent: '430500', level: 'county', zh: '新邵县', en: 'Xinshao County' },
  { code: '430523', parent: '430500', level: 'county', zh: '邵阳县', en: 'Shaoyang County' },
  { code: '430524', parent: '430500', level: 'county', zh: '隆回县', en: 'Longhui County' },
  { code: '430525', parent: '430500', level: 'county', zh: '洞口县', en: 'Dongkou County' },
  { code: '430527', parent: '430500', level: 'county', zh: '绥宁县', en: 'Suining County' },
  { code: '430528', parent: '430500', level: 'county', zh: '新宁县', en: 'Xinning County' },
  { code: '430529', parent: '430500', level: 'county', zh: '城步苗族自治县', en: 'Chengbu Miao Autonomous County' },
  { code: '430581', parent: '430500', level: 'county', zh: '武冈市', en: 'Wugang' },
  { code: '430582', parent: '430500', level: 'county', zh: '邵东市', en: 'Shaodong' },
  // 凤凰县
  { code: '433123100', parent: '433123', level: 'township', zh: '沱江镇', en: 'Tuojiang Town' },
  { code: '433123100001', parent: '433123100', level: 'village', zh: '虹桥社区', en: 'Hongqiao Community', rural: false },
  { code: '433123100002', parent: '433123100', level: 'village', zh: '南华社区', en: 'Nanhua Community', rural: false },
  { code: '433123101', parent: '433123', level: 'township', zh: '山江镇', en: 'Shanjiang Town' },
  { code: '433123101001', parent: '433123101', level: 'village', zh: '老家寨村', en: 'Laojiazhai Village', rural: true },
  { code: '433123101002', parent: '433123101', level: 'village', zh: '黄茅坪村', en: 'Huangmaoping Village', rural: true },
  { code: '433123102', parent: '433123', level: 'township', zh: '阿拉营镇', en: "A'laying Town" },
  { code: '433123102001', parent: '433123102', level: 'village', zh: '天星村', en: 'Tianxing Village', rural: true },
  // 隆回县
  { code: '430524100', parent: '430524', level: 'township', zh: '桃洪镇', en: 'Taohong Town' },
  { code: '430524100001', parent: '430524100', level: 'village', zh: '东方社区', en: 'Dongfang Community', rural: false },
  { code: '430524101', parent: '430524', level: 'township', zh: '小沙江镇', en: 'Xiaoshajiang Town' },
  { code: '430524101001', parent: '430524101', level: 'village', zh: '旺溪村', en: 'Wangxi Village', rural: true },
  { code: '430524101002', parent: '430524101', level: 'village', zh: '白竹坪村', en: 'Baizhuping Village', rural: true },
  { code: '430524102', parent: '430524', level: 'township', zh: '六都寨镇', en: 'Liuduzhai Town' },
  { code: '430524102001', parent: '430524102', level: 'village', zh: '三门村', en: 'Sanmen Village', rural: true },
  // 吉首市
  { code: '433101001', parent: '433101', level: 'township', zh: '乾州街道', en: 'Qianzhou Subdistrict' },
  { code: '433101001001', parent: '433101001', level: 'village', zh: '世纪社区', en: 'Shiji Community', rural: false },
];
